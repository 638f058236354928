/** Who acts and when: every mutation takes one, so tests can move the clock. */
export interface ActionContext {
  actor: string;
  now: number;
}
