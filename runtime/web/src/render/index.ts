// @tessera/runtime-web/render — the metadata renderer: field widgets by
// type, the record form, list columns and value display. The designer
// (designer/web) imports it so every preview is what users will see.
export * from './schema';
export * from './format';
export * from './safe';
export * from './context';
export * from './validate';
export { schemaCheck } from './validator';
export { FieldValue, OptionTag, LookupValue, PersonValue, colorOf, navigateInApp } from './Value';
export { FieldWidget, widgets, type WidgetProps } from './widgets';
export { RecordForm, useFields, useValidator, formInput, editable, type Values, type Errors } from './RecordForm';
export { recordColumns } from './columns';
