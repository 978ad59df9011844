import { createBrowserRouter, createMemoryRouter, type RouteObject } from 'react-router';
import { routerBasename } from '../lib/base-path';
import { RootLayout } from './layout';
import { DefinitionsRoute } from './routes/definitions';
import { NotFoundRoute, RouteError } from './routes/not-found';
import { OverviewRoute } from './routes/overview';
import { SagaDetailRoute } from './routes/saga-detail';
import { SagasListRoute } from './routes/sagas-list';

export const routes: RouteObject[] = [
  {
    path: '/',
    element: <RootLayout />,
    errorElement: <RouteError />,
    children: [
      { index: true, element: <OverviewRoute /> },
      { path: 'sagas', element: <SagasListRoute /> },
      { path: 'sagas/:id', element: <SagaDetailRoute /> },
      { path: 'definitions', element: <DefinitionsRoute /> },
      { path: '*', element: <NotFoundRoute /> },
    ],
  },
];

export const createAppRouter = () => createBrowserRouter(routes, { basename: routerBasename() });

/** For tests: the same routes in memory, starting at `url`. */
export const createTestRouter = (url: string) => createMemoryRouter(routes, { initialEntries: [url] });

export type AppRouter = ReturnType<typeof createAppRouter>;
