import { getGlobalDispatcher } from 'undici';
import type { Dispatcher } from 'undici';

/**
 * Gets each body chunk in order, synchronously; it may return a promise, and then no further chunk
 * comes until it settles (a rejection ends the body with that error).
 */
export type ChunkSink = (chunk: Buffer) => Promise<void> | undefined;

/** The head of an answer, with its body still to be read once. */
export interface OpenedResponse {
  status: number;
  statusText: string;
  /** One header's value, repeated ones joined by ", " (RFC 9110 §5.3); null when absent. */
  header(name: string): string | null;
  /** Hands the body to `sink`; resolves at its end, rejects on a network error or an abort. */
  readBody(sink: ChunkSink): Promise<void>;
  /** Drops the body unread (the connection goes with it). */
  discard(): void;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted', { cause: signal.reason });
}

/**
 * undici handler turning one GET into an OpenedResponse. Bytes go straight from undici's parser to
 * the sink: no stream and no promise per chunk (`fetch` and `request` both cost several times more
 * CPU per byte). The answer is paused from its head until `readBody` is called, and while the sink
 * works on a chunk.
 */
class GetHandler implements Dispatcher.DispatchHandler {
  readonly head: Promise<OpenedResponse>;
  #controller: Dispatcher.DispatchController | undefined;
  #failure: Error | undefined;
  #settled = false;
  #sink: ChunkSink | undefined;
  /** The sink's promise for the last chunk, when it has not settled. */
  #pending: Promise<void> | undefined;
  /** Chunks not yet given to the sink, and whether the answer has ended after them. */
  readonly #queue: Buffer[] = [];
  #ended = false;
  #onHead: ((r: OpenedResponse) => void) | undefined;
  #onHeadError: ((err: Error) => void) | undefined;
  #onEnd: (() => void) | undefined;
  #onBodyError: ((err: Error) => void) | undefined;
  readonly #signal: AbortSignal;
  readonly #onAbort = (): void => this.#abort(abortReason(this.#signal));

  constructor(signal: AbortSignal) {
    this.#signal = signal;
    this.head = new Promise<OpenedResponse>((resolve, reject) => {
      this.#onHead = resolve;
      this.#onHeadError = reject;
    });
    if (signal.aborted) this.#fail(abortReason(signal));
    else signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#failure !== undefined) controller.abort(this.#failure);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    // 1xx answers are interim (RFC 9110 §15.2): the final answer follows on the same request.
    if (statusCode < 200 || this.#settled) return;
    controller.pause();
    this.#onHead?.({
      status: statusCode,
      statusText: statusMessage ?? '',
      header: (name) => {
        const value = headers[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(', ') : value;
      },
      readBody: (sink) => this.#readBody(sink),
      discard: () => this.#abort(new Error('the body was not wanted')),
    });
  }

  #readBody(sink: ChunkSink): Promise<void> {
    if (this.#sink !== undefined) return Promise.reject(new Error('the body was already read'));
    this.#sink = sink;
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const done = new Promise<void>((resolve, reject) => {
      this.#onEnd = resolve;
      this.#onBodyError = reject;
    });
    this.#drain();
    return done;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    this.#queue.push(chunk);
    // Normally paused already; a wrapper that drops onHeaders' answer (undici's HTTP proxy) is not.
    if (this.#sink === undefined || this.#pending !== undefined) controller.pause();
    else this.#drain();
  }

  onResponseEnd(): void {
    this.#ended = true;
    if (this.#sink !== undefined && this.#pending === undefined) this.#drain();
  }

  /** Feeds queued chunks to the sink until it asks to wait; then resumes the answer or ends the body. */
  #drain(): void {
    const sink = this.#sink;
    if (sink === undefined) return;
    for (let chunk = this.#queue.shift(); chunk !== undefined && !this.#settled; chunk = this.#queue.shift()) {
      let wait: Promise<void> | undefined;
      try {
        wait = sink(chunk);
      } catch (err) {
        this.#abort(err as Error);
        return;
      }
      if (wait !== undefined) {
        this.#pending = wait;
        this.#controller?.pause();
        wait.then(
          () => {
            this.#pending = undefined;
            this.#drain();
          },
          (err: unknown) => this.#abort(err as Error),
        );
        return;
      }
    }
    if (this.#settled) return;
    if (this.#ended) {
      this.#settled = true;
      this.#signal.removeEventListener('abort', this.#onAbort);
      this.#onEnd?.();
    } else {
      this.#controller?.resume();
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.#fail(err);
  }

  #abort(reason: Error): void {
    const controller = this.#controller;
    this.#fail(reason);
    if (controller !== undefined && !controller.aborted) controller.abort(reason);
  }

  #fail(err: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#failure = err;
    this.#signal.removeEventListener('abort', this.#onAbort);
    this.#onHeadError?.(err);
    this.#onBodyError?.(err);
  }
}

/**
 * One GET through `dispatcher` (undici's global one when omitted), following no redirect. Resolves
 * with the answer's head; the body waits for `readBody`. `signal` aborts it at any stage.
 */
export function dispatchGet(url: URL, init: { headers: Record<string, string>; signal: AbortSignal; dispatcher?: Dispatcher | undefined }): Promise<OpenedResponse> {
  const handler = new GetHandler(init.signal);
  const dispatcher = init.dispatcher ?? getGlobalDispatcher();
  dispatcher.dispatch({ origin: url.origin, path: `${url.pathname}${url.search}`, method: 'GET', headers: init.headers }, handler);
  return handler.head;
}
