/**
 * Apps, jobs, secrets and config maps share one shape over HTTP: list, create, read, replace
 * (everything but the name), delete. The routes mount any of them the same way.
 */
export interface ChildService<Item, CreateBody, UpdateBody> {
  list(projectId: string): Promise<{ items: Item[] }>;
  create(projectId: string, body: CreateBody, actor: string): Promise<Item>;
  get(projectId: string, name: string): Promise<Item>;
  replace(projectId: string, name: string, body: UpdateBody, actor: string): Promise<Item>;
  remove(projectId: string, name: string, actor: string): Promise<void>;
}
