// Loading, empty and error states shared by the pages.
import { Button, Result } from 'antd';
import { useTranslation } from 'react-i18next';
import { ApiError, NetworkError } from '../../api/http';

export function errorText(e: unknown, t: (k: string) => string): string {
  if (e instanceof NetworkError) return t('errors.network');
  if (e instanceof ApiError) return e.problem.detail || e.message;
  return (e as Error)?.message ?? String(e);
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const { t } = useTranslation();
  const status = error instanceof ApiError ? error.status : undefined;
  return (
    <Result
      status={status === 404 ? '404' : status === 403 ? '403' : 'error'}
      title={status === 404 ? t('errors.notFound') : status === 403 ? t('errors.forbidden') : t('common.error')}
      subTitle={<span role="alert">{errorText(error, t)}</span>}
      extra={retry && <Button onClick={retry}>{t('app.retry')}</Button>}
    />
  );
}
