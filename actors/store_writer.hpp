#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/fwd.hpp"

namespace relay {

/// Spawns the single writer of the store. It runs its inserts as an ordinary actor, so
/// a post and its live fan-out stay on the actor workers; only COMMIT (the fsync) runs
/// on a thread of its own, and what arrives meanwhile joins the next batch.
///
/// Its messages are `store_writer_actor`'s (actors/fwd.hpp); it replies only after the
/// transaction holding the write has committed. A token revocation answers `not_found`
/// when the token is not the user's or already revoked.
///
/// An appended message whose seq the channel had already reserved in a committed
/// transaction is also sent to the requester as `(applied_atom, storage::message_row)`
/// before the commit, so live fan-out need not wait for the fsync; the ack still does.
/// Should that batch roll back, the requester gets an error outcome for the message
/// and its seq is never given to another message. Every
/// request that reaches the mailbox before a commit starts joins that transaction,
/// so a burst of N sends costs one fsync, not N.
/// `commit_thread = false` commits inline, for deterministic tests only.
store_writer_actor spawn_store_writer(caf::actor_system& sys, store_factory open,
                                      bool commit_thread = true);

}  // namespace relay
