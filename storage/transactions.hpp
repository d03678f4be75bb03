#pragma once

#include "storage/expected.hpp"

namespace relay::storage {

/// The transaction that a store's calls run in, apart from the areas so that a class
/// holding a backend's connection (storage/postgres/connection.hpp) offers it too.
class transactions {
 public:
  virtual ~transactions() = default;

  /// Starts the transaction that the following calls run in.
  virtual expected<void> begin() = 0;
  /// Commits it. A transaction in which a call failed (`expected::failed()`) is aborted:
  /// the calls after the failure fail too, and commit() rolls everything back and
  /// returns the first failure, so a batch either commits whole or not at all. A call
  /// that answers `conflict` or `not_found` changes nothing and aborts nothing.
  virtual expected<void> commit() = 0;
  /// Rolls the transaction back; a no-op when the database already did.
  virtual void rollback() = 0;

  virtual bool healthy() = 0;
};

}  // namespace relay::storage
