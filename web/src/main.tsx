import { render } from 'preact';
import * as api from './api';
import { App } from './components/App';
import { parse } from './router';
import { prefetchRoom } from './session';
import './styles/theme.css';
import './styles/layout.css';

// The first requests go out together, before anything renders: who is signed in, and
// the room the address names (docs/web.md, "A room").
const me = api.getMe();
prefetchRoom(parse(location.pathname).room);

render(<App me={me} />, document.getElementById('app')!);
