/**
 * Long-lived objects an action needs across requests (a job table, a cache),
 * created on first use and closed when the server stops. Lets a new action
 * keep state without any change to the server.
 */
export interface Closable {
  close(): void | Promise<void>;
}

export class ResourceBag {
  private readonly items = new Map<string, Closable>();

  get<T extends Closable>(key: string, create: () => T): T {
    let item = this.items.get(key);
    if (item === undefined) {
      item = create();
      this.items.set(key, item);
    }
    return item as T;
  }

  async closeAll(): Promise<void> {
    const items = [...this.items.values()];
    this.items.clear();
    await Promise.allSettled(items.map((item) => item.close()));
  }
}
