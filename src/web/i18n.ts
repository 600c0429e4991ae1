/**
 * The clerk page's words in Simplified Chinese (the default) and English. Every string a page shows
 * comes from here; values from the ledger are shown as stored.
 */
import type { ShipmentStatus } from '../ledger/schema.ts';

export const LANGS = ['zh-CN', 'en'] as const;
export type Lang = (typeof LANGS)[number];
export const DEFAULT_LANG: Lang = 'zh-CN';

export interface Messages {
  appTitle: string;
  navShipments: string;
  navSubscribers: string;
  navBuilds: string;
  switchLang: string;
  logout: string;
  loginTitle: string;
  loginToken: string;
  loginSubmit: string;
  loginFailed: string;
  shipmentsTitle: string;
  month: string;
  week: string;
  subscriber: string;
  status: string;
  any: string;
  filter: string;
  reset: string;
  downloadCsv: string;
  totals: (count: number, fee: string) => string;
  pageOf: (page: number, pages: number) => string;
  prev: string;
  next: string;
  noRows: string;
  id: string;
  name: string;
  organisation: string;
  medium: string;
  copies: string;
  discs: string;
  fee: string;
  postage: string;
  tracking: string;
  mailedAt: string;
  reshipOf: string;
  statusNames: Record<ShipmentStatus, string>;
  shipmentTitle: (id: number) => string;
  events: string;
  at: string;
  actor: string;
  note: string;
  markTitle: string;
  markSubmit: string;
  markNeedsToken: string;
  markFinal: string;
  markDone: (status: string) => string;
  subscribersTitle: string;
  search: string;
  code: string;
  servicePeriod: string;
  state: string;
  stateActive: string;
  statePending: string;
  stateExpired: string;
  stateSuspended: string;
  expiringTitle: (days: number) => string;
  expiringNone: string;
  daysLeft: (days: number) => string;
  contact: string;
  phone: string;
  address: string;
  pipelines: string;
  pricePlan: string;
  notes: string;
  history: string;
  action: string;
  detail: string;
  shipmentsOf: string;
  buildsTitle: string;
  pipeline: string;
  started: string;
  finished: string;
  kbCount: string;
  currentKbs: string;
  sets: string;
  size: string;
  chartKbs: string;
  chartSize: string;
  noReport: string;
  discTitle: (id: number) => string;
  discRecorded: string;
  volumeId: string;
  isoPath: string;
  sequence: string;
  discNumber: string;
  bytes: string;
  manifest: string;
  manifestMissing: string;
  manifestUnreadable: string;
  expires: string;
  created: string;
  quietWeek: string;
  yes: string;
  no: string;
  path: string;
  kb: string;
  title: string;
  severity: string;
  classification: string;
  cves: string;
  errorTitle: string;
  notFound: string;
  forbidden: string;
  csrfFailed: string;
  internalError: string;
}

const zh: Messages = {
  appTitle: 'patchdisc 账务',
  navShipments: '发货记录',
  navSubscribers: '订户',
  navBuilds: '每周构建',
  switchLang: 'English',
  logout: '退出',
  loginTitle: '登录',
  loginToken: '访问令牌',
  loginSubmit: '登录',
  loginFailed: '令牌不正确',
  shipmentsTitle: '发货记录',
  month: '月份',
  week: '周',
  subscriber: '订户',
  status: '状态',
  any: '全部',
  filter: '筛选',
  reset: '清除',
  downloadCsv: '下载 CSV（Excel）',
  totals: (n, fee) => `共 ${n} 件，合计 ${fee}`,
  pageOf: (p, n) => `第 ${p} / ${n} 页`,
  prev: '上一页',
  next: '下一页',
  noRows: '没有符合条件的记录',
  id: '编号',
  name: '名称',
  organisation: '单位',
  medium: '介质',
  copies: '份数',
  discs: '光盘数',
  fee: '费用',
  postage: '邮费',
  tracking: '运单号',
  mailedAt: '寄出时间',
  reshipOf: '补寄自',
  statusNames: { prepared: '待刻录', burned: '已刻录', mailed: '已寄出', delivered: '已签收', returned: '已退回', lost: '已丢失' },
  shipmentTitle: (id) => `发货 #${id}`,
  events: '状态记录',
  at: '时间',
  actor: '操作人',
  note: '备注',
  markTitle: '登记寄出 / 运单号',
  markSubmit: '保存',
  markNeedsToken: '登记操作需要访问令牌：请用 patchdisc serve --token <令牌> 启动',
  markFinal: '此发货状态已终结，不能再更改',
  markDone: (s) => `已登记：${s}`,
  subscribersTitle: '订户',
  search: '搜索',
  code: '代码',
  servicePeriod: '服务期',
  state: '状态',
  stateActive: '服务中',
  statePending: '未开始',
  stateExpired: '已到期',
  stateSuspended: '已暂停',
  expiringTitle: (d) => `${d} 天内到期的合同`,
  expiringNone: '没有即将到期的合同',
  daysLeft: (d) => `剩 ${d} 天`,
  contact: '联系人',
  phone: '电话',
  address: '地址',
  pipelines: '订阅内容',
  pricePlan: '价格方案',
  notes: '备注',
  history: '变更记录',
  action: '操作',
  detail: '详情',
  shipmentsOf: '发货',
  buildsTitle: '每周构建',
  pipeline: '流水线',
  started: '开始',
  finished: '结束',
  kbCount: 'KB 数',
  currentKbs: '当前 KB',
  sets: '光盘套数',
  size: '数据量',
  chartKbs: '每周发出的 KB 数',
  chartSize: '每周光盘数据量',
  noReport: '无报告',
  discTitle: (id) => `光盘 #${id}`,
  discRecorded: '账本记录',
  volumeId: '卷标',
  isoPath: 'ISO 路径',
  sequence: '序号',
  discNumber: '第几张',
  bytes: '大小',
  manifest: '光盘清单（MANIFEST.json）',
  manifestMissing: 'ISO 文件已不存在，只显示账本中的记录',
  manifestUnreadable: '无法读取清单',
  expires: '有效期至',
  created: '创建时间',
  quietWeek: '无更新周',
  yes: '是',
  no: '否',
  path: '路径',
  kb: 'KB',
  title: '标题',
  severity: '严重性',
  classification: '分类',
  cves: 'CVE',
  errorTitle: '出错了',
  notFound: '找不到该记录',
  forbidden: '拒绝访问',
  csrfFailed: '表单已过期或来源不符，请刷新页面后重试',
  internalError: '服务器内部错误，请查看日志',
};

const en: Messages = {
  appTitle: 'patchdisc billing',
  navShipments: 'Shipments',
  navSubscribers: 'Subscribers',
  navBuilds: 'Weekly builds',
  switchLang: '中文',
  logout: 'Log out',
  loginTitle: 'Log in',
  loginToken: 'Access token',
  loginSubmit: 'Log in',
  loginFailed: 'Wrong token',
  shipmentsTitle: 'Shipment log',
  month: 'Month',
  week: 'Week',
  subscriber: 'Subscriber',
  status: 'Status',
  any: 'Any',
  filter: 'Filter',
  reset: 'Reset',
  downloadCsv: 'Download CSV (Excel)',
  totals: (n, fee) => `${n} shipment${n === 1 ? '' : 's'}, total ${fee}`,
  pageOf: (p, n) => `Page ${p} of ${n}`,
  prev: 'Previous',
  next: 'Next',
  noRows: 'No shipments match',
  id: 'ID',
  name: 'Name',
  organisation: 'Organisation',
  medium: 'Medium',
  copies: 'Copies',
  discs: 'Discs',
  fee: 'Fee',
  postage: 'Postage',
  tracking: 'Tracking',
  mailedAt: 'Mailed',
  reshipOf: 'Reship of',
  statusNames: { prepared: 'prepared', burned: 'burned', mailed: 'mailed', delivered: 'delivered', returned: 'returned', lost: 'lost' },
  shipmentTitle: (id) => `Shipment #${id}`,
  events: 'Status history',
  at: 'At',
  actor: 'By',
  note: 'Note',
  markTitle: 'Record mailing / tracking number',
  markSubmit: 'Save',
  markNeedsToken: 'Recording needs an access token: start patchdisc serve --token <token>',
  markFinal: 'This shipment is final and cannot change',
  markDone: (s) => `Recorded: ${s}`,
  subscribersTitle: 'Subscribers',
  search: 'Search',
  code: 'Code',
  servicePeriod: 'Service period',
  state: 'State',
  stateActive: 'active',
  statePending: 'not started',
  stateExpired: 'expired',
  stateSuspended: 'suspended',
  expiringTitle: (d) => `Contracts expiring within ${d} days`,
  expiringNone: 'No contract expires soon',
  daysLeft: (d) => `${d} day${d === 1 ? '' : 's'} left`,
  contact: 'Contact',
  phone: 'Phone',
  address: 'Address',
  pipelines: 'Pipelines',
  pricePlan: 'Price plan',
  notes: 'Notes',
  history: 'History',
  action: 'Action',
  detail: 'Detail',
  shipmentsOf: 'Shipments',
  buildsTitle: 'Weekly builds',
  pipeline: 'Pipeline',
  started: 'Started',
  finished: 'Finished',
  kbCount: 'KBs',
  currentKbs: 'Current KBs',
  sets: 'Disc sets',
  size: 'Size',
  chartKbs: 'KBs shipped per week',
  chartSize: 'Disc data per week',
  noReport: 'no report',
  discTitle: (id) => `Disc #${id}`,
  discRecorded: 'Recorded in the ledger',
  volumeId: 'Volume ID',
  isoPath: 'ISO path',
  sequence: 'Sequence',
  discNumber: 'Disc',
  bytes: 'Size',
  manifest: 'Disc manifest (MANIFEST.json)',
  manifestMissing: 'The ISO file is gone; showing the ledger record only',
  manifestUnreadable: 'Cannot read the manifest',
  expires: 'Expires',
  created: 'Created',
  quietWeek: 'Quiet week',
  yes: 'yes',
  no: 'no',
  path: 'Path',
  kb: 'KB',
  title: 'Title',
  severity: 'Severity',
  classification: 'Classification',
  cves: 'CVEs',
  errorTitle: 'Error',
  notFound: 'No such record',
  forbidden: 'Forbidden',
  csrfFailed: 'The form expired or came from elsewhere; reload the page and try again',
  internalError: 'Internal error; see the server log',
};

const MESSAGES: Readonly<Record<Lang, Messages>> = { 'zh-CN': zh, en };

/** The words of `lang`. */
export function messages(lang: Lang): Messages {
  return MESSAGES[lang];
}

/** `value` when it names a supported language, else undefined. */
export function parseLang(value: string | undefined): Lang | undefined {
  return LANGS.find((l) => l === value);
}
