import type { Route } from '../route.js';
import { ACCOUNT_ROUTES } from './account-routes.js';
import { FILE_ROUTES } from './file-routes.js';
import { MESSAGE_ROUTES } from './message-routes.js';
import { NODE_ROUTES } from './node-routes.js';
import { OPS_ROUTES } from './ops-routes.js';
import { PAGE_ROUTES } from './page-routes.js';
import { USER_ROUTES } from './user-routes.js';

/** Every route of a node's HTTP app, in the order the app mounts them and the document lists them. */
export const ALL_ROUTES: readonly Route[] = [
  ...NODE_ROUTES,
  ...MESSAGE_ROUTES,
  ...USER_ROUTES,
  ...ACCOUNT_ROUTES,
  ...FILE_ROUTES,
  ...OPS_ROUTES,
  ...PAGE_ROUTES,
];
