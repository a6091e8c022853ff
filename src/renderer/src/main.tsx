import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { api } from './api/api';
import { AppStore } from './state/app-store';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
if (api === null) {
  root.render(
    <main className="missing-token" data-testid="missing-token">
      <h1>Framescope needs its launch token</h1>
      <p>
        Open the URL that <code>framescope web</code> printed when it started (it ends in <code>?token=…</code>). The page
        keeps the token for this tab only, so a new tab or window needs that URL again.
      </p>
    </main>,
  );
} else {
  const store = new AppStore(api);
  root.render(
    <StrictMode>
      <App api={api} store={store} />
    </StrictMode>,
  );
}
