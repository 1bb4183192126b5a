// The live commands: one entry per client message, each typed by its message and its ack result
// (AckResults in packages/client/src/protocol.ts), so what the SDK's request() resolves with is
// what the room returns. The room checks membership and staff rights before any of these runs.
import type { AckResults, ClientMessageOf, ClientMessageType } from "@edgeclass/client/protocol";
import type { Member } from "./context.ts";
import type { LiveRoom } from "./room.ts";

/** The room's features, as the commands reach them. */
type Features = Pick<LiveRoom, "chat" | "hands" | "reactions" | "quiz" | "admission" | "end">;

export type Command<K extends ClientMessageType> = (
  room: Features,
  m: Member,
  msg: ClientMessageOf<K>,
  now: number,
) => AckResults[K] | Promise<AckResults[K]>;

export const COMMANDS: { [K in ClientMessageType]: Command<K> } = {
  ping: (_room, _m, _msg, now) => ({ serverTime: now }),
  "chat.send": (room, m, msg, now) => room.chat.send(m, msg.text, now),
  "chat.delete": (room, _m, msg, now) => room.chat.delete(msg.messageId, now),
  "chat.mute": (room, _m, msg) => room.chat.mute(msg.userId, msg.muted),
  "chat.settings": (room, _m, msg) => room.chat.configure(msg),
  "hand.raise": (room, m, _msg, now) => room.hands.set(m, true, now),
  "hand.lower": (room, m, _msg, now) => room.hands.set(m, false, now),
  "hand.answer": (room, _m, msg) => room.hands.answer(msg.userId),
  "hand.clear": (room) => room.hands.clear(),
  // No ack result: clicking again within the window does not inflate the count.
  reaction: (room, m, msg, now) => room.reactions.react(m.id, msg.reaction, now),
  "quiz.launch": (room, _m, msg, now) => room.quiz.launch(msg, now),
  "quiz.answer": (room, m, msg, now) => room.quiz.answer(m, msg, now),
  "quiz.close": (room, _m, _msg, now) => room.quiz.close(now),
  "quiz.reveal": (room, _m, _msg, now) => room.quiz.revealAnswer(now),
  "leaderboard.show": (room) => room.quiz.showLeaderboard(),
  "class.end": async (room) => {
    await room.end();
    return { ended: true };
  },
  "participant.remove": (room, m, msg, now) => room.admission.remove(m, msg.userId, msg.reason, now),
};
