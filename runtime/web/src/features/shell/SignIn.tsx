// Sign-in: the page (/app/signin?next=…) and the dialog that opens over any
// page when the session ends. Errors are the server's localized detail; a
// throttled sign-in counts down its Retry-After.
import { Alert, Button, Card, Form, Input, Modal, Space, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { ApiError, NetworkError } from '../../api/http';
import { useSession } from '../session';
import { LanguageSwitch } from './LanguageSwitch';

function SignInForm({ onDone, email: fixedEmail }: { onDone: () => void; email?: string }) {
  const { t } = useTranslation();
  const session = useSession();
  const [error, setError] = useState<string>();
  const [wait, setWait] = useState(0);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ email: string; password: string }>();

  useEffect(() => {
    if (wait <= 0) return;
    const h = setTimeout(() => setWait((w) => w - 1), 1000);
    return () => clearTimeout(h);
  }, [wait]);

  async function submit(v: { email: string; password: string }) {
    setBusy(true);
    setError(undefined);
    try {
      await session.signIn(v.email.trim(), v.password);
      onDone();
    } catch (e) {
      if (e instanceof ApiError && e.status === 429) {
        setWait(e.retryAfter ?? 60);
        setError(e.problem.detail);
      } else if (e instanceof NetworkError) setError(t('errors.network'));
      else setError((e as Error).message);
      form.setFieldValue('password', '');
    } finally {
      setBusy(false);
    }
  }

  return (
    <Form form={form} layout="vertical" onFinish={submit} initialValues={{ email: fixedEmail ?? '' }} requiredMark={false}>
      {error && (
        <Alert
          type="error"
          showIcon
          role="alert"
          style={{ marginBottom: 16 }}
          title={wait > 0 ? t('signin.throttled', { seconds: wait }) : error}
          description={wait > 0 ? error : undefined}
        />
      )}
      <Form.Item label={t('signin.email')} name="email" rules={[{ required: true, message: t('signin.emailRequired') }]}>
        <Input type="email" autoComplete="username" inputMode="email" autoFocus={!fixedEmail} />
      </Form.Item>
      <Form.Item label={t('signin.password')} name="password" rules={[{ required: true, message: t('signin.passwordRequired') }]}>
        <Input.Password autoComplete="current-password" autoFocus={!!fixedEmail} />
      </Form.Item>
      <Button type="primary" htmlType="submit" block loading={busy} disabled={wait > 0}>
        {wait > 0 ? `${t('signin.submit')} (${wait})` : t('signin.submit')}
      </Button>
    </Form>
  );
}

/** safeNext keeps the return address inside the app. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return next;
}

export function SignInPage() {
  const { t } = useTranslation();
  const session = useSession();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const next = safeNext(params.get('next'));
  if (session.user && !session.expired) return <Navigate to={next} replace />;
  return (
    <main className="t-signin">
      <Card>
        <Space orientation="vertical" size={4} style={{ width: '100%', marginBottom: 16 }}>
          <Space style={{ width: '100%', justifyContent: 'space-between' }}>
            <Typography.Title level={1} style={{ margin: 0, fontSize: 24 }}>{t('app.name')}</Typography.Title>
            <LanguageSwitch />
          </Space>
          <Typography.Text type="secondary">{t('signin.subtitle')}</Typography.Text>
        </Space>
        <Typography.Title level={2} style={{ fontSize: 18 }}>{t('signin.title')}</Typography.Title>
        <SignInForm onDone={() => navigate(next, { replace: true })} />
      </Card>
    </main>
  );
}

/** SessionExpiredDialog signs in again over the current page. */
export function SessionExpiredDialog() {
  const { t } = useTranslation();
  const session = useSession();
  if (!session.expired) return null;
  return (
    <Modal open title={t('signin.expiredTitle')} footer={null} closable={false} mask={{ closable: false }} keyboard={false} destroyOnHidden>
      <Typography.Paragraph>{t('signin.expiredBody')}</Typography.Paragraph>
      <SignInForm onDone={() => undefined} email={session.user?.email} />
    </Modal>
  );
}
