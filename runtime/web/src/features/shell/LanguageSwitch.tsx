import { Select } from 'antd';
import { GlobalOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { useSession } from '../session';
import type { Locale } from '../../i18n';

export function LanguageSwitch() {
  const { t } = useTranslation();
  const session = useSession();
  return (
    <Select<Locale>
      aria-label={t('shell.language')}
      value={session.locale}
      size="small"
      variant="borderless"
      prefix={<GlobalOutlined aria-hidden />}
      onChange={(l) => session.changeLocale(l)}
      options={[
        { value: 'zh-CN', label: '简体中文' },
        { value: 'en', label: 'English' },
      ]}
      popupMatchSelectWidth={false}
    />
  );
}
