// Chat: the recent history, the teacher's settings (on/off, slow mode) and mutes. A message is
// stored (and shared, in a cluster) before it is sent and acknowledged; moderation applies in
// memory at once, in arrival order, and is acknowledged once shared so a new owner finds it.
import type { AckResults, ChatMessage, ChatSettings, ServerMessage } from "@edgeclass/client/protocol";
import { AppError } from "../domain/errors.ts";
import { CHAT_LIMIT, type Member, type RoomCore } from "./context.ts";

const CHAT_HISTORY = 50;

export class Chat {
  private readonly history: ChatMessage[];
  private settings: ChatSettings = { enabled: true, slowModeSeconds: 0 };
  private readonly muted = new Set<string>();

  constructor(private readonly room: RoomCore) {
    this.history = room.deps.store.live.recentChat(room.classId, CHAT_HISTORY);
  }

  async send(m: Member, text: string, now: number): Promise<AckResults["chat.send"]> {
    if (!this.room.isStaff(m)) {
      if (!this.settings.enabled) throw new AppError("chat-disabled", "the teacher has turned chat off");
      if (this.muted.has(m.id)) throw new AppError("muted", "the teacher has muted you");
      const slow = this.settings.slowModeSeconds * 1000;
      if (slow > 0 && now - m.lastChatAt < slow) {
        throw new AppError("slow-mode", `slow mode: wait ${Math.ceil((slow - (now - m.lastChatAt)) / 1000)} s between messages`);
      }
      if (!m.chatBucket.take(now))
        throw new AppError("rate-limited", `at most ${CHAT_LIMIT.burst} messages in a row, then one every ${1 / CHAT_LIMIT.perSecond} s`);
      m.lastChatAt = now;
    }
    const { classId, deps } = this.room;
    const message: ChatMessage = { id: deps.newId(), userId: m.id, name: m.name, role: m.role, text, at: now };
    await deps.shared?.saveChat(message);
    await deps.store.writeNow(() => deps.store.live.insertChat(classId, message));
    this.history.push(message);
    if (this.history.length > CHAT_HISTORY) this.history.shift();
    deps.fanout.all(classId, { type: "chat.message", seq: this.room.nextSeq(), message });
    return { messageId: message.id };
  }

  async delete(messageId: string, now: number): Promise<AckResults["chat.delete"]> {
    const { classId, deps } = this.room;
    const deleted = await deps.store.writeNow(() => deps.store.live.deleteChat(classId, messageId, now));
    if (!deleted) throw new AppError("not-found", `no message ${messageId} in this class`);
    await deps.shared?.deleteChat(messageId);
    const i = this.history.findIndex((c) => c.id === messageId);
    if (i >= 0) this.history.splice(i, 1);
    deps.fanout.all(classId, { type: "chat.deleted", seq: this.room.nextSeq(), messageId });
    return { deleted: messageId };
  }

  async mute(userId: string, muted: boolean): Promise<AckResults["chat.mute"]> {
    const target = this.room.members.get(userId);
    if (!target) throw new AppError("not-found", `${userId} is not in this class`);
    if (this.room.isStaff(target)) throw new AppError("invalid-state", "staff cannot be muted");
    if (muted) this.muted.add(userId);
    else this.muted.delete(userId);
    const { classId, deps } = this.room;
    const event: ServerMessage = { type: "chat.muted", seq: this.room.nextSeq(), userId, muted };
    deps.fanout.user(classId, userId, event);
    deps.fanout.staff(classId, event);
    await deps.shared?.saveMute(userId, muted);
    return { userId, muted };
  }

  async configure(change: { enabled?: boolean; slowModeSeconds?: number }): Promise<AckResults["chat.settings"]> {
    const settings = {
      enabled: change.enabled ?? this.settings.enabled,
      slowModeSeconds: change.slowModeSeconds ?? this.settings.slowModeSeconds,
    };
    this.settings = settings;
    const { classId, deps } = this.room;
    deps.fanout.all(classId, { type: "chat.settings", seq: this.room.nextSeq(), settings: { ...settings } });
    await deps.shared?.saveChatSettings(settings);
    return { settings };
  }

  recent(): ChatMessage[] {
    return [...this.history];
  }

  currentSettings(): ChatSettings {
    return { ...this.settings };
  }

  isMuted(userId: string): boolean {
    return this.muted.has(userId);
  }

  mutedUsers(): string[] {
    return [...this.muted];
  }

  /** After a takeover: the previous owner's settings and mutes. */
  restore(settings: ChatSettings, muted: readonly string[]): void {
    this.settings = { ...settings };
    for (const id of muted) this.muted.add(id);
  }
}
