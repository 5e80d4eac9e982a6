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
    myApprovals: 'Waiting for my approval',
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
  flow: {
    path: 'Stage', moveTo: 'Move to {{stage}}', moved: 'Moved to {{stage}}', noMove: 'There is no move from here to {{stage}}.',
    refusedTitle: 'Cannot move to {{stage}}', fillIn: 'Fill in these fields to move on:', moveAnyway: 'Move',
    approvalStarted: 'Moving to {{stage}} needs approval: submitted.', current: 'current stage',
  },
  related: {
    title: 'Related', none: 'Nothing refers to this record yet.', via: 'by {{field}}', newRelated: 'New {{module}}',
    count: '{{n}}', countMore: '{{n}}+',
  },
  timeline: {
    entered: 'into {{to}}', moved: 'moved the stage', from: 'from {{from}} to {{to}}', submitted: 'submitted for approval', merged: 'merged a record into this one',
    activity: 'logged', none: 'Nothing has happened here yet.',
  },
  followUp: {
    title: 'Log a follow-up', placeholder: 'What happened? The first line becomes the subject.', save: 'Log',
    saved: 'Follow-up logged', empty: 'Write what happened first.', module: 'Into',
  },
  buttons: { done: '{{label}}: done', inputsTitle: '{{label}}' },
  print: { title: 'Print', none: 'No print templates for this module' },
  pool: { claim: 'Claim', claimed: 'Claimed: you are the owner now' },
  approval: {
    title: 'Approval', submit: 'Submit', submitTitle: 'Submit for approval', submitted: 'Submitted for approval',
    process: 'Process', comment: 'Comment', commentHint: 'Optional', none: 'Not submitted for approval.',
    submitter: 'Submitter', approve: 'Approve', reject: 'Reject', return: 'Return', transfer: 'Transfer', addApprover: 'Add approver',
    withdraw: 'Withdraw', remind: 'Remind', resubmit: 'Resubmit', toStep: 'Return to', toSubmitter: 'The submitter', user: 'To whom',
    position: 'Where', before: 'Before me', after: 'After me', any: 'Any one', all: 'All', due: 'Due {{at}}', overdue: 'Overdue {{at}}',
    done: 'Done: {{action}}', earlier: 'Earlier approvals ({{n}})', open: 'Open approval',
    status: { pending: 'Pending', approved: 'Approved', rejected: 'Rejected', withdrawn: 'Withdrawn' },
    step: { approved: 'Approved', rejected: 'Rejected', returned: 'Returned', current: 'In progress', waiting: 'Waiting', skipped: 'Skipped' },
    task: { pending: 'Pending', waiting: 'Waiting', queued: 'Queued', approved: 'Approved', rejected: 'Rejected', returned: 'Returned', cancelled: 'Cancelled' },
    actions: {
      submit: 'submitted', approve: 'approved', reject: 'rejected', return: 'returned', transfer: 'transferred', 'add-approver': 'added an approver',
      comment: 'commented', withdraw: 'withdrew', remind: 'reminded', resubmit: 'resubmitted', timeout: 'timed out', escalate: 'escalated', skip: 'skipped',
    } as Record<string, string>,
  },
  inbox: {
    title: 'Approvals', pending: 'Pending', submitted: 'Submitted', done: 'Done', empty: 'Nothing here.', emptyPending: 'Nothing waits for you.',
    batchApprove: 'Approve {{count}}', batchDone: 'Approved {{ok}}, {{failed}} failed', select: 'Select', started: 'Submitted {{at}}',
    step: 'Step', record: 'Record', due: 'Due', submitter: 'Submitter', decision: 'Decision',
  },
  board: {
    title: '{{module}} board', count: '{{n}} records', sum: 'Sum', sumBy: 'Sum of', more: 'More', empty: 'No records',
    refused: 'Not moved: {{reason}}', moved: '{{title}} → {{stage}}', daysInStage: '{{n}} d in stage', list: 'List', open: 'Board',
    noFlow: 'This module has no stage pipeline.', fill: 'Fill in…', dragHint: 'Drag a card to another column to move it, or use its menu.',
    moveMenu: 'Move {{title}} to…', card: 'card', boards: 'Boards',
  },
  errors: {
    network: 'The server cannot be reached. Check the connection and try again.', forbidden: 'You may not do this.',
    notFound: 'Not found.',
  },
};

export default en;
export type Messages = typeof en;
