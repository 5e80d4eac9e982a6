import { Empty, Result, Spin } from 'antd';
import { useTranslation } from 'react-i18next';
import { Navigate, useParams } from 'react-router';
import { useModules } from '../data';
import { ErrorState } from './States';

/** AppIndex opens an app on its first module. */
export function AppIndex() {
  const { t } = useTranslation();
  const { app } = useParams();
  const mods = useModules(app);
  if (mods.isLoading) return <Spin style={{ display: 'block', margin: 48 }} />;
  if (mods.error) return <ErrorState error={mods.error} retry={() => mods.refetch()} />;
  const first = mods.data?.[0];
  if (!first) return <Result icon={<Empty />} title={t('shell.noApps')} subTitle={t('shell.noAppsHint')} />;
  return <Navigate to={`/${app}/${first.key}`} replace />;
}
