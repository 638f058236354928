import type { ReactNode } from 'react';

interface PageHeaderProps {
  title: string;
  description?: ReactNode;
  breadcrumb?: ReactNode;
  actions?: ReactNode;
}

export function PageHeader({ title, description, breadcrumb, actions }: PageHeaderProps) {
  return (
    <header className="berth-page-header">
      {breadcrumb}
      <div className="berth-page-header__row">
        <div>
          <h1 className="berth-page-header__title">{title}</h1>
          {description ? <p className="berth-page-header__description">{description}</p> : null}
        </div>
        {actions ? <div className="berth-page-header__actions">{actions}</div> : null}
      </div>
    </header>
  );
}
