/**
 * NATS subject → MQTT topic (`.` → `/`, `*` → `+`, `>` → `#`), so mqemitter and Aedes get the
 * same subjects and subscriptions as nats-embedded, written in their own syntax.
 */
export function mqttTopic(subject: string): string {
  return subject.split(".").map((t) => (t === "*" ? "+" : t === ">" ? "#" : t)).join("/");
}
