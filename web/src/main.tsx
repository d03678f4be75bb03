import { render } from 'preact';
import * as api from './api';
import { App } from './components/App';
import { parse } from './router';
import { openEarly, prefetchRoom } from './session';
import './styles/theme.css';
import './styles/layout.css';

// The first requests go out together, before anything renders: who is signed in, and
// the room the address names; its socket opens once the first answers who (docs/web.md,
// "A room").
const room = parse(location.pathname).room;
const me = api.getMe();
prefetchRoom(room);
me.then((m) => { if (m) openEarly(room, m); }, () => {});

render(<App me={me} />, document.getElementById('app')!);
