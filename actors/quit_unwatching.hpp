#pragma once

namespace relay {

/// Quits after dropping this actor's monitors on `watched`. In CAF 0.17 a monitor leaves
/// a weak reference to the monitoring actor in the monitored one, and with it the
/// monitoring actor's memory, for as long as the monitored actor lives: a short-lived
/// actor watching a long-lived one (a connection its room, a socket the agent hub) must
/// drop its monitors, or every closed connection leaks its actor.
template <class Self, class... Handles>
void quit_unwatching(Self* self, const Handles&... watched) {
  (self->demonitor(watched.address()), ...);  // typed handles have no demonitor overload
  self->quit();
}

}  // namespace relay
