/** Resource types that the soak writes. */
export type SoakType = "Organization" | "Patient" | "Observation";

/** A successful write as the client saw it: the version it got and the content it sent, or a deletion. */
export interface Write {
  version: number;
  /** The resource as sent, with its id; undefined for a deletion. */
  content: Record<string, unknown> | undefined;
}

/** Client-side record of one resource on the server. */
export interface Tracked {
  type: SoakType;
  id: string;
  /** True when a client wrote it during the load phase, as opposed to only the seed. */
  touchedByClients: boolean;
  /** The successful write with the highest version. */
  last: Write;
  /**
   * True when a write to it may have happened without the client seeing the outcome (a request
   * aborted by the hard stop or without a response), so the last write is not known.
   */
  uncertain: boolean;
}

/** A problem that the clients saw in a response, such as two writes that got the same version. */
export interface ClientFinding {
  problem: string;
  resource: string;
}

/**
 * Every resource the benchmark wrote, and the live ones that the clients pick from. A resource
 * leaves the live list when a client starts to delete it, so no new request picks it after that.
 */
export class Pool {
  readonly all = new Map<string, Tracked>();
  readonly findings: ClientFinding[] = [];
  private readonly live: Record<SoakType, Tracked[]> = { Organization: [], Patient: [], Observation: [] };
  private readonly positions = new Map<Tracked, number>();

  /** Adds a created resource to the live list. */
  add(type: SoakType, id: string, write: Write, touchedByClients: boolean): Tracked {
    const tracked: Tracked = { type, id, touchedByClients, last: write, uncertain: false };
    this.all.set(`${type}/${id}`, tracked);
    this.positions.set(tracked, this.live[type].length);
    this.live[type].push(tracked);
    return tracked;
  }

  /** Returns a random live resource of `type`, or undefined when there is none. */
  pick(type: SoakType, random: () => number): Tracked | undefined {
    const list = this.live[type];
    return list.length === 0 ? undefined : list[Math.floor(random() * list.length)];
  }

  /** Takes `tracked` off the live list, so that no request picks it any more. */
  retire(tracked: Tracked): void {
    const position = this.positions.get(tracked);
    if (position === undefined) return;
    const list = this.live[tracked.type];
    const last = list.pop()!;
    if (last !== tracked) {
      list[position] = last;
      this.positions.set(last, position);
    }
    this.positions.delete(tracked);
  }

  liveCount(type: SoakType): number {
    return this.live[type].length;
  }

  /**
   * Records a successful write. The write with the higher version wins, because responses may
   * arrive out of order. Two different writes that got the same version mean one was lost.
   */
  noteWrite(tracked: Tracked, write: Write): void {
    tracked.touchedByClients = true;
    if (write.version === tracked.last.version && JSON.stringify(write.content) !== JSON.stringify(tracked.last.content)) {
      this.findings.push({ problem: `two successful writes both got version ${write.version}`, resource: `${tracked.type}/${tracked.id}` });
    }
    if (write.version > tracked.last.version) tracked.last = write;
  }
}
