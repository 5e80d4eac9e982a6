// The dialog a refused move opens: the guard's messages, and a small form
// of the fields the target stage needs (required to enter, the reason),
// whose values go with the next try. Shared by the path bar and the board.
import { Alert, Modal } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { RecordForm, type Values } from '../../render/RecordForm';
import type { ModuleDef } from '../../render/schema';
import type { Refusal } from './stages';

/** fieldsModule is the module cut down to the fields a move asks for (all required). */
export function fieldsModule(def: ModuleDef, keys: string[]): ModuleDef {
  const props = (def.schema.properties ?? {}) as Record<string, unknown>;
  const picked = Object.fromEntries(keys.filter((k) => k in props).map((k) => [k, props[k]]));
  return { ...def, key: `${def.key}-move`, schema: { type: 'object', properties: picked, required: Object.keys(picked) } };
}

export function MoveDialog({ def, stage, refusal, initial, onMove, onClose }: {
  def: ModuleDef;
  stage: string;
  refusal: Refusal;
  initial: Values;
  /** onMove tries again with the values; it answers the next refusal, or undefined when moved */
  onMove: (values: Values) => Promise<Refusal | undefined>;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const keys = Object.keys(refusal.fields);
  const mod = useMemo(() => fieldsModule(def, keys), [def, keys.join(',')]); // eslint-disable-line react-hooks/exhaustive-deps
  const [values, setValues] = useState<Values>(() => Object.fromEntries(keys.map((k) => [k, initial[k]])));
  const [current, setCurrent] = useState(refusal);
  const [busy, setBusy] = useState(false);
  const errors = Object.fromEntries(Object.entries(current.fields).filter(([, m]) => m));
  const fillable = Object.keys((mod.schema.properties ?? {}) as object).length > 0;
  return (
    <Modal
      open
      title={t('flow.refusedTitle', { stage })}
      onCancel={onClose}
      cancelText={fillable ? t('common.cancel') : t('common.close')}
      okText={t('flow.moveAnyway')}
      // With nothing to fill in, trying again would only be refused again.
      okButtonProps={{ loading: busy, style: fillable ? undefined : { display: 'none' } }}
      onOk={async () => {
        setBusy(true);
        try {
          const next = await onMove(values);
          if (next) setCurrent(next);
          else onClose();
        } finally {
          setBusy(false);
        }
      }}
    >
      {current.messages.map((m, i) => <Alert key={i} type="error" role="alert" showIcon title={m} style={{ marginBottom: 8 }} />)}
      {fillable && (
        <>
          <p>{t('flow.fillIn')}</p>
          <RecordForm module={mod} values={values} errors={errors} onChange={(v) => setValues(v)} mode="edit" idPrefix="move" />
        </>
      )}
    </Modal>
  );
}
