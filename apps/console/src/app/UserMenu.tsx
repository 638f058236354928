import { MenuButton, MenuItem, MenuItemDivider, MenuItemRadioGroup } from '@carbon/react';
import { useNavigate } from 'react-router';
import { toApiError } from '../api/client';
import { useCurrentUser, useSignOut } from '../api/session';
import { routePaths } from './route-paths';
import { THEME_CHOICES, useThemeChoice, type ThemeChoice } from './ThemeProvider';
import { useToasts } from './ToastProvider';

const THEME_LABELS: Record<ThemeChoice, string> = {
  system: 'System',
  light: 'Light',
  dark: 'Dark',
};

/**
 * The signed-in account in the header. Carbon's MenuButton gives the menu its keyboard
 * behaviour (Enter or arrow keys open it, arrows move, Escape closes and returns focus).
 */
export function UserMenu() {
  const user = useCurrentUser();
  const navigate = useNavigate();
  const signOut = useSignOut();
  const toasts = useToasts();
  const { choice, setChoice } = useThemeChoice();
  if (!user) return null;
  return (
    <MenuButton
      className="berth-user-menu"
      kind="ghost"
      size="lg"
      // The button is named by the username, as the person signed in knows themself.
      label={user.username}
      menuAlignment="bottom-end"
    >
      <MenuItem label="API keys" onClick={() => navigate(routePaths.apiKeys())} />
      <MenuItem label="Change password" onClick={() => navigate(routePaths.accountPassword())} />
      <MenuItemDivider />
      {/* A submenu: its name says what the three choices are about. */}
      <MenuItem label={`Theme: ${THEME_LABELS[choice]}`}>
        <MenuItemRadioGroup
          label="Theme"
          items={[...THEME_CHOICES]}
          itemToString={(item) => THEME_LABELS[item as ThemeChoice]}
          selectedItem={choice}
          onChange={(item) => setChoice(item as ThemeChoice)}
        />
      </MenuItem>
      <MenuItemDivider />
      <MenuItem
        label="Sign out"
        onClick={() => {
          // The gate shows the sign-in page as soon as the session is gone (this menu with
          // it, hence a promise rather than mutate's callbacks). Then the address moves to the
          // start page: the next person to sign in here lands there, not on this one's page.
          signOut
            .mutateAsync()
            .then(() => navigate(routePaths.namespaces(), { replace: true }))
            .catch((error: unknown) =>
              toasts.show({
                kind: 'error',
                title: 'Not signed out',
                subtitle: toApiError(error).message,
              }),
            );
        }}
      />
    </MenuButton>
  );
}
