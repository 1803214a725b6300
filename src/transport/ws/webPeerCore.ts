// What both ends of the web transport keep for one WebSocket: its warnings, early signals and WebRTC session, all ended when it closes.
import { Subject } from 'rxjs';
import { WarningCode } from '../../events.js';
import { SignalInbox } from '../signalInbox.js';
import type { DatagramChannel, SendSignal, TransportPeer, TransportWarning } from '../Transport.js';
import { webChannel, type DatagramPipe, type WebChannel } from './webChannel.js';
import type { WsLink } from './wsLink.js';

/** Signals kept at most before `openDatagrams` reads them. */
const MAX_EARLY_SIGNALS = 16;

/** A WebRTC session as {@link WebPeerCore} holds it: closed with the WebSocket or the channel. */
export interface ClosableSession {
  close(): void;
}

/** The part of a web peer that its client and server sides share (see {@link webPeerCore}). */
export interface WebPeerCore {
  readonly link: WsLink;
  /** Passes a warning on, with the peer's address, until the WebSocket has closed. */
  readonly warn: (warning: TransportWarning) => void;
  /** The signals from the other end; early ones are kept, 16 at most (more are warnings). */
  readonly inbox: SignalInbox;
  /** The WebRTC session set, if any. */
  readonly session: ClosableSession | undefined;
  /** Sets the WebRTC session, to close with the WebSocket or the datagram channel. */
  setSession(session: ClosableSession): void;
  /** Calls `onTimeout` after `ms` unless the data channel opens first (or everything closes). */
  startTimer(onTimeout: () => void, ms: number): void;
  /** The peer: `openDatagrams` as given, the messages and warnings from here, signals to the inbox. */
  toPeer(openDatagrams: (signal: SendSignal) => Promise<DatagramChannel>): TransportPeer;
  /**
   * The datagram channel on the link: its closing closes the session. Returns the channel and
   * the hooks a WebRTC session feeds it with (an open data channel stops the timer).
   */
  openChannel(maxDatagramBytes: number): {
    readonly web: WebChannel;
    readonly hooks: {
      readonly onOpen: (pipe: DatagramPipe) => void;
      readonly onClose: (pipe: DatagramPipe) => void;
      readonly onDatagram: (data: Uint8Array) => void;
    };
  };
}

/**
 * Makes the shared part of a web peer over one WebSocket: `openLink` is given the peer's `warn`
 * and makes the {@link WsLink}. When the link closes, the kept signals are dropped, the timer
 * stopped, the session closed and the peer's `warnings$` completed.
 *
 * @example
 * const core = webPeerCore(remoteAddress, (warn) => wsLink(socket, { ...limits, warn }));
 * const { web, hooks } = core.openChannel(maxDatagramBytes);
 * core.setSession(clientRtc({ ...rtcOptions, warn: core.warn, ...hooks }));
 */
export function webPeerCore(
  remoteAddress: string,
  openLink: (warn: (warning: TransportWarning) => void) => WsLink,
): WebPeerCore {
  const warnings = new Subject<TransportWarning>();
  const warn = (w: TransportWarning): void => {
    if (!warnings.closed) warnings.next({ address: remoteAddress, ...w });
  };
  const link = openLink(warn);
  const inbox = new SignalInbox(MAX_EARLY_SIGNALS, (data) =>
    warn({
      code: WarningCode.BufferFull,
      message: `a signal of ${data.length} bytes dropped: ${MAX_EARLY_SIGNALS} are waiting already`,
    }),
  );
  let rtc: ClosableSession | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  void link.closed.then(() => {
    inbox.clear();
    clearTimeout(timer);
    rtc?.close();
    warnings.complete();
  });

  return {
    link,
    warn,
    inbox,
    get session() {
      return rtc;
    },
    setSession(session) {
      rtc = session;
    },
    toPeer(openDatagrams) {
      return {
        remoteAddress,
        messages: link.messages,
        warnings$: warnings.asObservable(),
        openDatagrams,
        signal: (data) => inbox.push(data),
      };
    },
    startTimer(onTimeout, ms) {
      timer = setTimeout(onTimeout, ms);
    },
    openChannel(maxDatagramBytes) {
      const web = webChannel(link, {
        maxDatagramBytes,
        warn,
        onClose: () => {
          clearTimeout(timer);
          rtc?.close();
        },
      });
      const hooks = {
        onOpen: (pipe: DatagramPipe) => {
          clearTimeout(timer);
          web.useDataChannel(pipe);
        },
        onClose: (pipe: DatagramPipe) => web.dropDataChannel(pipe),
        onDatagram: web.deliver,
      };
      return { web, hooks };
    },
  };
}
