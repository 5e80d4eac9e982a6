import './csp'; // first: before any library creates a style element
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './i18n'; // initialised synchronously: no untranslated keys on first paint
import './app.css';
import { Root } from './App';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
