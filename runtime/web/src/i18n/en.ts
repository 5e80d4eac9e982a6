// The web app's own words in English. The metadata brings its own labels;
// these are only the app's chrome. Keep the same word for the same thing
// (shared/UX.md "Words").
const en = {
  app: { name: 'Tessera', loading: 'Loading…', retry: 'Retry', back: 'Back', home: 'Home' },
  common: {
    new: 'New', edit: 'Edit', save: 'Save', cancel: 'Cancel', delete: 'Delete', restore: 'Restore', close: 'Close',
    search: 'Search', filter: 'Filter', apply: 'Apply', clear: 'Clear', reset: 'Reset', more: 'More', yes: 'Yes', no: 'No',
    ok: 'OK', confirm: 'Confirm', reload: 'Reload', compare: 'Compare', add: 'Add', remove: 'Remove', none: '—',
    total: 'Total', actions: 'Actions', loadMore: 'Load more', saving: 'Saving…', saved: 'Saved',
    empty: 'Nothing here yet', error: 'Something went wrong', copied: 'Copied',
  },
  signin: {
    title: 'Sign in', email: 'Email', password: 'Password', submit: 'Sign in', emailRequired: 'Enter your email.',
    passwordRequired: 'Enter your password.', throttled: 'Too many attempts. Try again in {{seconds}} seconds.',
    expiredTitle: 'Your session has ended', expiredBody: 'Sign in again to continue. What you typed is kept.',
    subtitle: 'Business apps built from metadata',
  },
  shell: {
    apps: 'Apps', switchApp: 'Switch app', modules: 'Modules', notifications: 'Notifications', language: 'Language',
    timeZone: 'Time zone', sessions: 'Sessions', tokens: 'API tokens', signOut: 'Sign out', menu: 'Menu',
    noApps: 'No apps yet', noAppsHint: 'An administrator creates apps; you see those your roles open.',
    searchPlaceholder: 'Search records in this app', skip: 'Skip to content', profile: 'My account',
  },
  home: {
    title: 'Home', welcome: 'Welcome, {{name}}', myApps: 'My apps', recent: 'Recently viewed', unread: 'Unread notifications',
    noRecent: 'Records you open appear here.',
  },
  notifications: {
    title: 'Notifications', unread: 'Unread', all: 'All', markRead: 'Mark as read', none: 'No notifications — rules send them here.',
    unreadCount: '{{count}} unread',
  },
  list: {
    count: '{{n}} records', countMore: '{{n}}+ records', quickSearch: 'Search {{fields}}', columns: 'Columns',
    density: 'Density', selected: '{{count}} selected', bulkDelete: 'Delete', bulkAssign: 'Assign owner',
    deleteConfirm: 'Delete {{count}} records? They can be restored from the record page.',
    deleted: 'Deleted {{count}} records', deleteFailed: '{{count}} could not be deleted: {{detail}}',
    assignTitle: 'Assign {{count}} records to', assigned: 'Assigned {{count}} records',
    emptyTitle: 'No {{module}} yet', emptyFiltered: 'No records match the filter', emptyAction: 'New {{module}}',
    loaded: '{{loaded}} of {{total}} loaded', allLoaded: 'All {{n}} loaded', filters: 'Filters',
    clearFilters: 'Clear filters',
  },
  filterBuilder: {
    title: 'Filter', addCondition: 'Add condition', field: 'Field', operator: 'Operator', value: 'Value', match: 'Match',
    all: 'all conditions', any: 'any condition', advanced: 'Advanced', advancedHint: 'An expression, e.g. amount > 1000 && stage in ["won"]',
    ops: {
      eq: 'is', ne: 'is not', gt: 'greater than', ge: 'at least', lt: 'less than', le: 'at most', contains: 'contains',
      startsWith: 'starts with', endsWith: 'ends with', empty: 'is empty', notEmpty: 'is not empty', in: 'is any of',
      has: 'includes', before: 'before', after: 'after', onOrBefore: 'on or before', onOrAfter: 'on or after', isTrue: 'is yes',
      isFalse: 'is no',
    },
  },
  record: {
    details: 'Details', history: 'History', owner: 'Owner', createdBy: 'Created by', createdAt: 'Created', updatedAt: 'Updated',
    version: 'Version', deleteConfirm: 'Delete this record? It can be restored here afterwards.', deleted: 'Record deleted',
    restored: 'Record restored', isDeleted: 'This record is deleted.', created: 'Created {{title}}', savedMsg: 'Saved',
    staleTitle: 'Someone changed this record', staleBody: 'It was changed after you opened it. Reload to see their version, or compare it with yours.',
    staleMine: 'Yours', staleTheirs: 'Now saved', notFound: 'This record does not exist or you may not see it.',
    newTitle: 'New {{module}}', untitled: '(untitled)', fixErrors: 'Please fix the fields marked in red.',
    draftRestored: 'Your unsaved draft was restored.', discardDraft: 'Discard draft', lineItems: '{{module}} lines',
    addLine: 'Add line', noLines: 'No lines yet', keyFacts: 'Key facts',
  },
  history: {
    created: 'created the record', updated: 'changed', deleted: 'deleted the record', restored: 'restored the record',
    none: 'No history yet', field: 'Field', before: 'Before', after: 'After', via: 'via {{via}}', someone: 'Someone',
    system: 'System',
  },
  account: {
    sessions: 'Sessions', tokens: 'API tokens', current: 'This session', created: 'Created', lastUsed: 'Last used',
    expires: 'Expires', never: 'Never', end: 'Sign out', endConfirm: 'Sign this session out?', newToken: 'New token',
    tokenName: 'Name', tokenShown: 'Copy the token now: it is shown only once.', revoke: 'Revoke',
    revokeConfirm: 'Revoke this token? Clients using it stop working.', noTokens: 'No tokens — create one for scripts and integrations.',
  },
  field: {
    select: 'Select…', searchRecords: 'Type to search', createNew: 'New {{module}}…', pickUser: 'Choose a person',
    invalidJson: 'Not valid JSON: {{detail}}', computed: 'Computed', yes: 'Yes', no: 'No', noResults: 'No matches',
  },
  errors: {
    network: 'The server cannot be reached. Check the connection and try again.', forbidden: 'You may not do this.',
    notFound: 'Not found.',
  },
};

export default en;
export type Messages = typeof en;
