import { render } from 'preact';
import { App } from './components/App';
import './styles/theme.css';
import './styles/layout.css';

render(<App />, document.getElementById('app')!);
