import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { api } from './api/api';
import { AppStore } from './state/app-store';
import './styles.css';

const store = new AppStore(api);
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App api={api} store={store} />
  </StrictMode>,
);
