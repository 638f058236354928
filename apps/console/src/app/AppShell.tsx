import {
  Content,
  Dropdown,
  Header,
  HeaderContainer,
  HeaderGlobalBar,
  HeaderMenuButton,
  HeaderName,
  SideNav,
  SideNavItems,
  SideNavLink,
  SkipToContent,
  Theme,
} from '@carbon/react';
import {
  Apps,
  Archive,
  Box,
  Catalog,
  Clean,
  Folders,
  Security,
  Time,
  TrashCan,
  UserMultiple,
} from '@carbon/icons-react';
import { Suspense, useEffect } from 'react';
import { Link, Outlet, useLocation } from 'react-router';
import { DataTableSkeleton } from '@carbon/react';
import { useCurrentUser } from '../api/session';
import { ErrorNotification } from '../components/ErrorNotification';
import { HeaderSearch } from '../features/search/HeaderSearch';
import { useMediaQuery } from '../lib/use-media-query';
import { useRegion } from './RegionProvider';
import { routePaths } from './route-paths';
import { OperationsProvider } from './OperationsProvider';
import { ToastProvider } from './ToastProvider';
import { UserMenu } from './UserMenu';
import { installFocusRescue } from '../lib/focus-rescue';

const NAV = [
  { label: 'Namespaces', to: routePaths.namespaces(), icon: Folders, match: /^\/namespaces/ },
  {
    label: 'Repositories',
    to: routePaths.repositoriesPicker(),
    icon: Box,
    match: /^\/repositories/,
  },
  { label: 'Retention', to: routePaths.retention(), icon: Time, match: /^\/retention/ },
  { label: 'Trash', to: routePaths.trash(), icon: TrashCan, match: /^\/trash/ },
  { label: 'Projects', to: routePaths.projects(), icon: Apps, match: /^\/projects/ },
];

/** Deployment-wide pages; the API answers them for admins only. */
const ADMIN_NAV = [
  { label: 'Users', to: routePaths.users(), icon: UserMultiple, match: /^\/admin\/users/ },
  { label: 'Audit log', to: routePaths.audit(), icon: Catalog, match: /^\/admin\/audit/ },
  { label: 'Garbage collection', to: routePaths.gc(), icon: Clean, match: /^\/admin\/gc/ },
  {
    label: 'Advisory data',
    to: routePaths.advisories(),
    icon: Security,
    match: /^\/admin\/advisories/,
  },
  { label: 'Backups', to: routePaths.backups(), icon: Archive, match: /^\/admin\/backups/ },
];

function RegionSwitcher() {
  const { region, regions, setRegion } = useRegion();
  // Below `md` the header also holds the search icon: the region's name alone fits beside it.
  const compact = !useMediaQuery('(min-width: 42rem)');
  if (!region) return null;
  return (
    <div className="berth-region-switcher">
      <Dropdown
        id="region-switcher"
        titleText="Region"
        hideLabel
        label="Region"
        size="sm"
        type="inline"
        items={regions.map((r) => r.name)}
        selectedItem={region}
        itemToString={(item) => (item ? (compact ? item : `Region: ${item}`) : '')}
        onChange={({ selectedItem }) => {
          if (selectedItem) setRegion(selectedItem);
        }}
      />
    </div>
  );
}

export function AppShell() {
  const location = useLocation();
  const { error: regionError } = useRegion();
  const nav = useCurrentUser()?.admin ? [...NAV, ...ADMIN_NAV] : NAV;
  // Carbon's breakpoint `lg`, from which the side nav is always shown. Carbon takes the links
  // out of the tab order while the nav is "collapsed", which it always is there: put them back.
  const navAlwaysShown = useMediaQuery('(min-width: 66rem)');
  // One place keeps focus off <body> when rows, dialogs and menus go (see focus-rescue).
  useEffect(() => installFocusRescue(), []);
  // Toasts live inside the router so their messages can link to pages.
  return (
    <ToastProvider>
      <OperationsProvider>
        <HeaderContainer
          render={({ isSideNavExpanded, onClickSideNavExpand }) => (
            <Theme theme="g100">
              <Header aria-label="Berth">
                <SkipToContent href="#main-content" />
                <HeaderMenuButton
                  aria-label={isSideNavExpanded ? 'Close menu' : 'Open menu'}
                  onClick={onClickSideNavExpand}
                  isActive={isSideNavExpanded}
                  aria-expanded={isSideNavExpanded}
                />
                <HeaderName as={Link} to={routePaths.namespaces()} prefix="">
                  Berth
                </HeaderName>
                <HeaderGlobalBar>
                  <HeaderSearch />
                  <RegionSwitcher />
                  <UserMenu />
                </HeaderGlobalBar>
                <SideNav
                  aria-label="Side navigation"
                  expanded={isSideNavExpanded}
                  onOverlayClick={onClickSideNavExpand}
                  onSideNavBlur={onClickSideNavExpand}
                  href="#main-content"
                >
                  <SideNavItems>
                    {nav.map((item) => (
                      <SideNavLink
                        key={item.to}
                        as={Link}
                        to={item.to}
                        renderIcon={item.icon}
                        tabIndex={navAlwaysShown || isSideNavExpanded ? 0 : -1}
                        isActive={item.match.test(location.pathname)}
                        aria-current={item.match.test(location.pathname) ? 'page' : undefined}
                        onClick={() => {
                          if (isSideNavExpanded) onClickSideNavExpand();
                        }}
                      >
                        {item.label}
                      </SideNavLink>
                    ))}
                  </SideNavItems>
                </SideNav>
              </Header>
            </Theme>
          )}
        />
        <Content id="main-content" className="berth-content" tabIndex={-1}>
          {regionError ? (
            <ErrorNotification error={regionError} title="Regions could not be loaded" />
          ) : null}
          <Suspense fallback={<DataTableSkeleton aria-label="Loading page" />}>
            <Outlet />
          </Suspense>
        </Content>
      </OperationsProvider>
    </ToastProvider>
  );
}
