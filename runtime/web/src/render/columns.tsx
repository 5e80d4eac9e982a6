// List columns from a module's fields: localized headers, values by type
// (option colour tags, amounts right-aligned with the currency, dates by
// locale), the title field first as the link to the record.
import type { TableColumnType } from 'antd';
import type { RecordData } from '../api/records';
import { FieldValue, navigateInApp } from './Value';
import { fieldLabel, isNumeric, type Field } from './schema';

export interface ColumnOptions {
  locale: string;
  title?: Field;
  /** href of a record's page */
  href: (id: string) => string;
  sortField?: string;
  sortDesc?: boolean;
  untitled: string;
}

export function recordColumns(fields: Field[], o: ColumnOptions): TableColumnType<RecordData>[] {
  const ordered = o.title ? [o.title, ...fields.filter((f) => f !== o.title)] : fields;
  return ordered.map((f) => {
    const sortable = f.type !== 'json' && f.type !== 'multiselect';
    return {
      key: f.key,
      dataIndex: f.key,
      title: fieldLabel(f, o.locale),
      ellipsis: f.type === 'textarea' || f.type === 'json',
      align: isNumeric(f) ? 'right' : undefined,
      width: f === o.title ? 220 : isNumeric(f) ? 140 : f.type === 'datetime' ? 170 : f.type === 'boolean' ? 90 : 160,
      fixed: f === o.title ? 'left' : undefined,
      sorter: sortable,
      sortOrder: o.sortField === f.key ? (o.sortDesc ? 'descend' : 'ascend') : null,
      sortDirections: ['ascend', 'descend'],
      showSorterTooltip: false,
      render: (v: unknown, r: RecordData) => {
        const cell = <FieldValue field={f} value={v} expanded={(r.expand?.[f.key] as Record<string, unknown>) ?? undefined} />;
        if (f !== o.title) return cell;
        const href = o.href(r.id);
        return (
          <a href={href} onClick={(e) => navigateInApp(e, href)} className="t-title-link">
            {v === null || v === undefined || v === '' ? o.untitled : String(v)}
          </a>
        );
      },
    };
  });
}
