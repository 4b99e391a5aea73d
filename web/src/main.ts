// The page's script (served as /app.js, bundled from these modules by the build).
import { startApp } from './app.js';

startApp();
