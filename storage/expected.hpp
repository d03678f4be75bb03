#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/error.hpp"

namespace relay::storage {

/// True for the codes of a database that did not do what it was asked (the "failed"
/// kind below), as opposed to the caller's input or the data's state.
constexpr bool is_failure(errc code) noexcept {
  return code == errc::unavailable || code == errc::internal;
}

/// The outcome of a store call: its value, or why there is none. Store calls never throw
/// and never leave a failure behind for a later call to ask about; an absent row is the
/// error `errc::not_found`, never an empty value that might also mean "failed".
///
/// The error's code is one of `core/error.hpp`'s `errc`; three kinds matter to callers:
/// * not found (`errc::not_found`): no such row, or a row it refers to is missing;
/// * conflict (`errc::conflict`): a unique key is taken, or the row is not in the state
///   the call needs;
/// * failed (`errc::unavailable`, `errc::internal`): the database did not do it. Inside
///   a transaction this aborts the transaction (see `store::commit`).
/// Refused input is reported with its own code (`bad_request`, `missing_field`).
template <class T>
class expected {
 public:
  using value_type = T;

  // -- constructors -----------------------------------------------------------

  expected(T value) : value_{std::move(value)} {}  // NOLINT: implicit like std::expected
  /// `error.code` must not be `errc::none`.
  expected(error_info error) : error_{std::move(error)} {}  // NOLINT

  // -- the value ----------------------------------------------------------------

  bool has_value() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }

  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  // By value: `for (auto& x : store.list_x().value())` must not outlive a temporary.
  T operator*() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

  /// The value; throws std::logic_error with the error's message when there is none
  /// (a caller that did not check: a bug, never a flow of control).
  T& value() & { return check(), *value_; }
  const T& value() const& { return check(), *value_; }
  T value() && { return check(), std::move(*value_); }

  T value_or(T fallback) const& { return value_ ? *value_ : std::move(fallback); }
  T value_or(T fallback) && { return value_ ? std::move(*value_) : std::move(fallback); }

  /// The value as an optional: absent for every error.
  std::optional<T> to_optional() && { return std::move(value_); }

  // -- the error ----------------------------------------------------------------

  /// `errc::none` when there is a value.
  const error_info& error() const noexcept { return error_; }
  bool not_found() const noexcept { return error_.code == errc::not_found; }
  bool conflict() const noexcept { return error_.code == errc::conflict; }
  /// The database failed (not the caller's input or the data's state).
  bool failed() const noexcept { return is_failure(error_.code); }

 private:
  void check() const {
    if (!value_) throw std::logic_error("store: no value: " + error_.message);
  }

  std::optional<T> value_;
  error_info error_;
};

/// A call that returns nothing but may fail.
template <>
class expected<void> {
 public:
  using value_type = void;

  expected() = default;
  expected(error_info error) : error_{std::move(error)} {}  // NOLINT

  bool has_value() const noexcept { return !error_; }
  explicit operator bool() const noexcept { return has_value(); }

  const error_info& error() const noexcept { return error_; }
  bool not_found() const noexcept { return error_.code == errc::not_found; }
  bool conflict() const noexcept { return error_.code == errc::conflict; }
  bool failed() const noexcept { return is_failure(error_.code); }

 private:
  error_info error_;
};

/// The value, or nullopt when the row is not found. Any other error throws
/// std::logic_error: for the store readers' own handlers, which answer a read that
/// throws with an error, so a failed read never looks like an absent row. Store jobs
/// (actors/store_call.hpp) use maybe() instead.
template <class T>
std::optional<T> found(expected<T> r) {
  if (r.not_found()) return std::nullopt;
  return std::move(r).value();
}

/// The value, nullopt when the row is not found, or any other error: for a caller to whom
/// an absent row is an answer (a token that no longer exists) but a failure is not.
template <class T>
expected<std::optional<T>> maybe(expected<T> r) {
  if (r) return std::optional<T>{std::move(*r)};
  if (r.not_found()) return std::optional<T>{};
  return r.error();
}

/// True for `expected<T>`: what store calls return.
template <class T>
inline constexpr bool is_expected = false;
template <class T>
inline constexpr bool is_expected<expected<T>> = true;

}  // namespace relay::storage
