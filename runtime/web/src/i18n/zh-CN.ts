import type { Messages } from './en';

// 界面用语（元数据自带标签）；同一事物始终用同一个词（shared/UX.md）。
const zhCN: Messages = {
  app: { name: 'Tessera', loading: '加载中…', retry: '重试', back: '返回', home: '首页' },
  common: {
    new: '新建', edit: '编辑', save: '保存', cancel: '取消', delete: '删除', restore: '恢复', close: '关闭',
    search: '搜索', filter: '筛选', apply: '应用', clear: '清除', reset: '重置', more: '更多…', yes: '是', no: '否',
    ok: '确定', confirm: '确认', reload: '重新加载', compare: '对比', add: '添加', remove: '移除', none: '—',
    total: '合计', actions: '操作', loadMore: '加载更多', saving: '保存中…', saved: '已保存',
    empty: '暂无内容', error: '出错了', copied: '已复制',
  },
  signin: {
    title: '登录', email: '邮箱', password: '密码', submit: '登录', emailRequired: '请输入邮箱。',
    passwordRequired: '请输入密码。', throttled: '尝试次数过多，请 {{seconds}} 秒后再试。',
    expiredTitle: '登录已失效', expiredBody: '请重新登录后继续，已填写的内容会保留。',
    subtitle: '由元数据生成的业务应用',
  },
  shell: {
    apps: '应用', switchApp: '切换应用', modules: '模块', notifications: '通知', language: '语言',
    timeZone: '时区', sessions: '登录会话', tokens: 'API 令牌', signOut: '退出登录', menu: '菜单',
    noApps: '还没有应用', noAppsHint: '应用由管理员创建；这里显示你的角色可以使用的应用。',
    searchPlaceholder: '在此应用中搜索记录', skip: '跳到正文', profile: '我的账户',
  },
  home: {
    myApprovals: '待我审批',
    title: '首页', welcome: '欢迎，{{name}}', myApps: '我的应用', recent: '最近查看', unread: '未读通知',
    noRecent: '打开过的记录会显示在这里。',
  },
  notifications: {
    title: '通知', unread: '未读', all: '全部', markRead: '标为已读', none: '暂无通知 — 规则发送的通知会显示在这里。',
    unreadCount: '{{count}} 条未读',
  },
  list: {
    count: '共 {{n}} 条记录', countMore: '{{n}}+ 条记录', quickSearch: '搜索{{fields}}', columns: '列设置',
    density: '密度', selected: '已选 {{count}} 条', bulkDelete: '删除', bulkAssign: '分配负责人',
    deleteConfirm: '删除 {{count}} 条记录？可在记录页恢复。',
    deleted: '已删除 {{count}} 条记录', deleteFailed: '{{count}} 条未能删除：{{detail}}',
    assignTitle: '将 {{count}} 条记录分配给', assigned: '已分配 {{count}} 条记录',
    emptyTitle: '还没有{{module}}', emptyFiltered: '没有符合筛选条件的记录', emptyAction: '新建{{module}}',
    loaded: '已加载 {{loaded}} / {{total}} 条', allLoaded: '已全部加载（{{n}} 条）', filters: '筛选条件',
    clearFilters: '清除筛选',
  },
  filterBuilder: {
    title: '筛选', addCondition: '添加条件', field: '字段', operator: '运算符', value: '值', match: '满足',
    all: '全部条件', any: '任一条件', advanced: '高级', advancedHint: '表达式，例如 amount > 1000 && stage in ["won"]',
    ops: {
      eq: '等于', ne: '不等于', gt: '大于', ge: '大于等于', lt: '小于', le: '小于等于', contains: '包含',
      startsWith: '开头是', endsWith: '结尾是', empty: '为空', notEmpty: '不为空', in: '属于',
      has: '包含选项', before: '早于', after: '晚于', onOrBefore: '不晚于', onOrAfter: '不早于', isTrue: '为是',
      isFalse: '为否',
    },
  },
  record: {
    details: '详情', history: '动态', owner: '负责人', createdBy: '创建人', createdAt: '创建时间', updatedAt: '更新时间',
    version: '版本', deleteConfirm: '删除此记录？之后可在此页恢复。', deleted: '记录已删除',
    restored: '记录已恢复', isDeleted: '此记录已删除。', created: '已创建 {{title}}', savedMsg: '已保存',
    staleTitle: '有人修改了此记录', staleBody: '在你打开之后，此记录已被他人修改。可重新加载查看最新版本，或与你的修改对比。',
    staleMine: '你的修改', staleTheirs: '当前已保存', notFound: '记录不存在，或你无权查看。',
    newTitle: '新建{{module}}', untitled: '（无标题）', fixErrors: '请修正标红的字段。',
    draftRestored: '已恢复未保存的草稿。', discardDraft: '丢弃草稿', lineItems: '{{module}}明细',
    addLine: '添加一行', noLines: '暂无明细', keyFacts: '关键信息',
  },
  history: {
    created: '创建了记录', updated: '修改了', deleted: '删除了记录', restored: '恢复了记录',
    none: '暂无动态', field: '字段', before: '修改前', after: '修改后', via: '来自 {{via}}', someone: '某人',
    system: '系统',
  },
  account: {
    sessions: '登录会话', tokens: 'API 令牌', current: '当前会话', created: '创建时间', lastUsed: '最近使用',
    expires: '过期时间', never: '永不', end: '退出', endConfirm: '让此会话退出登录？', newToken: '新建令牌',
    tokenName: '名称', tokenShown: '请立即复制令牌：它只显示这一次。', revoke: '吊销',
    revokeConfirm: '吊销此令牌？使用它的客户端将无法访问。', noTokens: '暂无令牌 — 可为脚本和集成创建一个。',
  },
  field: {
    select: '请选择…', searchRecords: '输入以搜索', createNew: '新建{{module}}…', pickUser: '选择人员',
    invalidJson: '不是有效的 JSON：{{detail}}', computed: '自动计算', yes: '是', no: '否', noResults: '无匹配项',
  },
  flow: {
    path: '阶段', moveTo: '推进到{{stage}}', moved: '已推进到{{stage}}', noMove: '不能从当前阶段直接推进到{{stage}}。',
    refusedTitle: '无法推进到{{stage}}', fillIn: '请先填写以下字段：', moveAnyway: '推进',
    approvalStarted: '推进到{{stage}}需要审批：已提交。', current: '当前阶段',
  },
  related: {
    title: '相关', none: '还没有记录关联到这里。', via: '按{{field}}', newRelated: '新建{{module}}',
    count: '{{n}}', countMore: '{{n}}+',
  },
  timeline: {
    entered: '进入{{to}}', moved: '推进了阶段', from: '从{{from}}到{{to}}', submitted: '提交了审批', merged: '合并了一条记录',
    activity: '记录了', none: '这里还没有动态。',
  },
  followUp: {
    title: '写跟进', placeholder: '发生了什么？第一行作为主题。', save: '记录',
    saved: '已记录跟进', empty: '请先写下跟进内容。', module: '记到',
  },
  buttons: { done: '{{label}}：已完成', inputsTitle: '{{label}}' },
  print: { title: '打印', none: '此模块没有打印模板' },
  pool: { claim: '领取', claimed: '已领取：你现在是负责人' },
  approval: {
    title: '审批', submit: '提交审批', submitTitle: '提交审批', submitted: '已提交审批',
    process: '审批流程', comment: '意见', commentHint: '选填', none: '尚未提交审批。',
    submitter: '发起人', approve: '同意', reject: '拒绝', return: '退回', transfer: '转交', addApprover: '加签',
    withdraw: '撤回', remind: '催办', resubmit: '重新提交', toStep: '退回到', toSubmitter: '发起人', user: '交给谁',
    position: '位置', before: '在我之前', after: '在我之后', any: '或签', all: '会签', due: '{{at}} 到期', overdue: '已超期 {{at}}',
    done: '已{{action}}', earlier: '以往审批（{{n}}）', open: '打开审批',
    status: { pending: '审批中', approved: '已通过', rejected: '已拒绝', withdrawn: '已撤回' },
    step: { approved: '已同意', rejected: '已拒绝', returned: '已退回', current: '审批中', waiting: '待审批', skipped: '已跳过' },
    task: { pending: '待处理', waiting: '等待中', queued: '排队中', approved: '已同意', rejected: '已拒绝', returned: '已退回', cancelled: '已取消' },
    actions: {
      submit: '提交', approve: '同意', reject: '拒绝', return: '退回', transfer: '转交', 'add-approver': '加签',
      comment: '评论', withdraw: '撤回', remind: '催办', resubmit: '重新提交', timeout: '超时', escalate: '升级', skip: '跳过',
    } as Record<string, string>,
  },
  inbox: {
    title: '审批', pending: '待我审批', submitted: '我发起的', done: '已处理', empty: '这里没有审批。', emptyPending: '没有等你处理的审批。',
    batchApprove: '同意 {{count}} 项', batchDone: '已同意 {{ok}} 项，{{failed}} 项失败', select: '选择', started: '{{at}} 提交',
    step: '步骤', record: '记录', due: '到期', submitter: '发起人', decision: '处理',
  },
  board: {
    title: '{{module}}看板', count: '{{n}} 条', sum: '合计', sumBy: '合计字段', more: '加载更多', empty: '没有记录',
    refused: '未推进：{{reason}}', moved: '{{title}} → {{stage}}', daysInStage: '本阶段 {{n}} 天', list: '列表', open: '看板',
    noFlow: '此模块没有阶段流程。', fill: '去填写…', dragHint: '把卡片拖到另一列即可推进，也可以用卡片的菜单。',
    moveMenu: '把{{title}}推进到…', card: '卡片', boards: '看板',
  },
  errors: {
    network: '无法连接服务器，请检查网络后重试。', forbidden: '你无权执行此操作。',
    notFound: '未找到。',
  },
};

export default zhCN;
