// The signed-in user's sessions and personal API tokens.
import { Alert, Button, Form, Input, List, Modal, Popconfirm, Skeleton, Space, Table, Tag, Typography, App } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, data } from '../../api/client';
import { formatDateTime } from '../../render/format';
import { useSession } from '../session';
import { ErrorState, errorText } from '../shell/States';

function useFmt() {
  const s = useSession();
  return { locale: s.locale, timeZone: s.timeZone, currency: 'CNY' };
}

export function SessionsPage() {
  const { t } = useTranslation();
  const fmt = useFmt();
  const qc = useQueryClient();
  const session = useSession();
  const navigate = useNavigate();
  const q = useQuery({ queryKey: ['sessions'], queryFn: async () => (await data(api.GET('/api/auth/sessions'))).sessions });
  const end = useMutation({
    mutationFn: (id: string) => data(api.DELETE('/api/auth/sessions/{id}', { params: { path: { id } } })),
    onSuccess: async (_r, id) => {
      if (q.data?.find((s) => s.id === id)?.current) {
        await session.signOut();
        navigate('/signin');
      } else qc.invalidateQueries({ queryKey: ['sessions'] });
    },
  });
  const when = (s?: string | null) => (s ? formatDateTime(fmt, s) : t('account.never'));
  return (
    <div className="t-page">
      <div className="t-page-head"><Typography.Title level={1}>{t('account.sessions')}</Typography.Title></div>
      {q.isLoading ? <Skeleton active /> : q.error ? <ErrorState error={q.error} retry={() => q.refetch()} /> : (
        <List
          dataSource={q.data ?? []}
          renderItem={(s) => (
            <List.Item actions={[
              <Popconfirm key="end" title={t('account.endConfirm')} onConfirm={() => end.mutateAsync(s.id!)} okText={t('common.ok')} cancelText={t('common.cancel')}>
                <Button size="small" danger>{t('account.end')}</Button>
              </Popconfirm>,
            ]}>
              <List.Item.Meta
                title={<Space>{t('account.created')}: {when(s.created_at)} {s.current && <Tag color="blue">{t('account.current')}</Tag>}</Space>}
                description={`${t('account.lastUsed')}: ${when(s.last_used_at)} · ${t('account.expires')}: ${when(s.expires_at)}`}
              />
            </List.Item>
          )}
        />
      )}
    </div>
  );
}

export function TokensPage() {
  const { t } = useTranslation();
  const fmt = useFmt();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [shown, setShown] = useState<string>();
  const [form] = Form.useForm<{ name: string }>();
  const q = useQuery({ queryKey: ['tokens'], queryFn: async () => (await data(api.GET('/api/auth/tokens'))).tokens });
  const create = useMutation({
    mutationFn: (name: string) => data(api.POST('/api/auth/tokens', { body: { name } })),
    onSuccess: (r) => {
      setShown(r.token);
      setOpen(false);
      form.resetFields();
      qc.invalidateQueries({ queryKey: ['tokens'] });
    },
    onError: (e) => {
      const fe = (e as { fieldErrors?: { field: string; message: string }[] }).fieldErrors ?? [];
      if (fe.length) form.setFields(fe.map((f) => ({ name: f.field as 'name', errors: [f.message] })));
      else message.error(errorText(e, t));
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => data(api.DELETE('/api/auth/tokens/{id}', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['tokens'] }),
  });
  const when = (s?: string | null) => (s ? formatDateTime(fmt, s) : t('account.never'));
  return (
    <div className="t-page">
      <div className="t-page-head">
        <Typography.Title level={1} className="t-grow">{t('account.tokens')}</Typography.Title>
        <Button type="primary" onClick={() => setOpen(true)}>{t('account.newToken')}</Button>
      </div>
      {shown && (
        <Alert type="success" showIcon closable onClose={() => setShown(undefined)} style={{ marginBottom: 16 }}
          title={t('account.tokenShown')}
          description={<Typography.Text code copyable className="t-wrap">{shown}</Typography.Text>} />
      )}
      {q.error ? <ErrorState error={q.error} retry={() => q.refetch()} /> : (
        <Table
          rowKey="id"
          loading={q.isLoading}
          dataSource={q.data ?? []}
          pagination={false}
          locale={{ emptyText: t('account.noTokens') }}
          scroll={{ x: 'max-content' }}
          columns={[
            { key: 'name', title: t('account.tokenName'), dataIndex: 'name', render: (v: string) => <span className="t-wrap">{v}</span> },
            { key: 'created', title: t('account.created'), dataIndex: 'created_at', render: when },
            { key: 'used', title: t('account.lastUsed'), dataIndex: 'last_used_at', render: when },
            { key: 'expires', title: t('account.expires'), dataIndex: 'expires_at', render: when },
            {
              key: 'a', title: t('common.actions'),
              render: (_: unknown, r) => (
                <Popconfirm title={t('account.revokeConfirm')} onConfirm={() => revoke.mutateAsync(r.id!)} okText={t('common.ok')} cancelText={t('common.cancel')}>
                  <Button size="small" danger>{t('account.revoke')}</Button>
                </Popconfirm>
              ),
            },
          ]}
        />
      )}
      <Modal open={open} title={t('account.newToken')} onCancel={() => setOpen(false)} okText={t('common.save')} cancelText={t('common.cancel')}
        confirmLoading={create.isPending} onOk={() => form.submit()} destroyOnHidden>
        <Form form={form} layout="vertical" onFinish={(v) => create.mutate(v.name)}>
          <Form.Item label={t('account.tokenName')} name="name" rules={[{ required: true, message: t('account.tokenName') }]}>
            <Input autoFocus maxLength={100} />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}
