import type { Observable, OperatorFunction } from 'rxjs';
import { describe, expectTypeOf, it } from 'vitest';
import {
  connect,
  createServer,
  lockstep,
  type ChatMessage,
  type ClientEvents,
  type ServerEvents,
  type ConfirmedFrame,
  type GameClient,
  type GameServer,
  type LockstepEvent,
  type NetworkEvent,
  type ServerNetworkEvent,
  type ClientNetworkEvent,
  type NetworkStats,
  type PlayerEvent,
  type PlayerInfo,
  type PlayerStats,
  type ServerAddress,
  type AwayEvent,
  type ConnectOptions,
  type ReconnectedEvent,
  type ReconnectingEvent,
  type ServerOptions,
  type SubstituteInput,
} from '../src/node.js';

describe('public types', () => {
  it('createServer and connect resolve to the contract of DESIGN.md', () => {
    expectTypeOf(createServer).returns.resolves.toEqualTypeOf<GameServer>();
    expectTypeOf(connect).returns.resolves.toEqualTypeOf<GameClient>();
    expectTypeOf<GameServer['address']>().toEqualTypeOf<ServerAddress>();
    expectTypeOf<ServerAddress>().toEqualTypeOf<{
      readonly host: string;
      readonly tcpPort: number;
      readonly udpPort: number;
      readonly webPort?: number;
      readonly rtcPort?: number;
    }>();
    expectTypeOf<GameServer['frames$']>().toEqualTypeOf<Observable<ConfirmedFrame>>();
    expectTypeOf<GameServer['players$']>().toEqualTypeOf<Observable<PlayerEvent>>();
    expectTypeOf<GameServer['chat$']>().toEqualTypeOf<Observable<ChatMessage>>();
    expectTypeOf<GameServer['events$']>().toEqualTypeOf<Observable<ServerNetworkEvent>>();
    expectTypeOf<GameClient['events$']>().toEqualTypeOf<Observable<ClientNetworkEvent>>();
    // Each side's events are its own union; NetworkEvent is either.
    expectTypeOf<ServerNetworkEvent>().toMatchTypeOf<NetworkEvent>();
    expectTypeOf<ClientNetworkEvent>().toMatchTypeOf<NetworkEvent>();
    expectTypeOf<Extract<ServerNetworkEvent, { type: 'disconnected' }>>().toBeNever();
    expectTypeOf<Extract<ClientNetworkEvent, { type: 'drop' | 'snapshot' }>>().toBeNever();
    expectTypeOf<GameServer['stats$']>().toEqualTypeOf<Observable<PlayerStats>>();
    expectTypeOf<GameServer['sendWorldState']>().parameters.toEqualTypeOf<[number, Uint8Array]>();
    expectTypeOf<GameServer['close']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<GameClient['playerId']>().toEqualTypeOf<number>();
    expectTypeOf<GameClient['frames$']>().toEqualTypeOf<Observable<ConfirmedFrame>>();
    expectTypeOf<GameClient['worldState$']>().toEqualTypeOf<Observable<Uint8Array>>();
    expectTypeOf<GameClient['stats$']>().toEqualTypeOf<Observable<NetworkStats>>();
    expectTypeOf<GameClient['sendInput']>().parameters.toEqualTypeOf<[Uint8Array]>();
    expectTypeOf<GameClient['sendChat']>().parameters.toEqualTypeOf<[string]>();
    expectTypeOf<GameClient['close']>().returns.toEqualTypeOf<Promise<void>>();
  });

  it('frames carry inputs by slot, and joins and leaves as PlayerInfo', () => {
    expectTypeOf<ConfirmedFrame['inputs']>().toEqualTypeOf<ReadonlyArray<Uint8Array | null>>();
    expectTypeOf<NonNullable<ConfirmedFrame['joined']>>().toEqualTypeOf<PlayerInfo[]>();
    expectTypeOf<NonNullable<ConfirmedFrame['left']>[number]>().toMatchTypeOf<PlayerInfo>();
    expectTypeOf<ChatMessage>().toEqualTypeOf<{ readonly from: string; readonly text: string }>();
  });

  it('the typed emitters know their events', () => {
    expectTypeOf<ServerEvents['frame']>().toEqualTypeOf<(frame: ConfirmedFrame) => void>();
    expectTypeOf<ClientEvents['frame']>().toEqualTypeOf<(frame: ConfirmedFrame) => void>();
    // Type-level only: never called.
    const check = (server: GameServer): void => {
      // @ts-expect-error chat listeners get a ChatMessage
      server.on('chat', (m: number) => m);
      server.on('chat', (m) => expectTypeOf(m).toEqualTypeOf<ChatMessage>());
    };
    expectTypeOf(check).toBeFunction();
  });

  it('joining, loading and coming back have typed promises, events and options', () => {
    expectTypeOf<GameClient['seated']>().toEqualTypeOf<Promise<number>>();
    expectTypeOf<GameClient['caughtUp']>().toEqualTypeOf<Promise<number>>();
    expectTypeOf<GameClient['startTick']>().toEqualTypeOf<number>();
    expectTypeOf<GameClient['catchingUp']>().toEqualTypeOf<boolean>();
    expectTypeOf<GameClient['reconnectToken']>().toEqualTypeOf<Uint8Array>();
    expectTypeOf<GameClient['ready']>().returns.toEqualTypeOf<void>();
    expectTypeOf<NonNullable<ConfirmedFrame['substituted']>>().toEqualTypeOf<number[]>();
    expectTypeOf<
      Extract<ClientNetworkEvent, { type: 'reconnecting' }>
    >().toEqualTypeOf<ReconnectingEvent>();
    expectTypeOf<ClientNetworkEvent['type']>().toEqualTypeOf<
      | 'warning'
      | 'disconnected'
      | 'desync'
      | 'seated'
      | 'caught-up'
      | 'reconnecting'
      | 'reconnected'
    >();
    expectTypeOf<ServerNetworkEvent['type']>().toEqualTypeOf<
      'warning' | 'drop' | 'desync' | 'snapshot' | 'away' | 'back'
    >();
    expectTypeOf<ServerEvents['away']>().toEqualTypeOf<(event: AwayEvent) => void>();
    expectTypeOf<ClientEvents['reconnected']>().toEqualTypeOf<(event: ReconnectedEvent) => void>();
    expectTypeOf<ConnectOptions['reconnectToken']>().toEqualTypeOf<Uint8Array | undefined>();
    expectTypeOf<ConnectOptions['provideSnapshot']>().toEqualTypeOf<
      ((tick: number) => Uint8Array | undefined) | undefined
    >();
    expectTypeOf<ServerOptions['substituteInput']>().toEqualTypeOf<SubstituteInput | undefined>();
  });

  it('lockstep is an operator from events to frames', () => {
    expectTypeOf(lockstep({ maxPlayers: 2 })).toEqualTypeOf<
      OperatorFunction<LockstepEvent, ConfirmedFrame>
    >();
  });
});
