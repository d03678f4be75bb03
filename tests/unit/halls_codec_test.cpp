// JSON of halls: REST bodies, LiveKit's webhook events (protobuf JSON), answers.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "protocol/hall_codec.hpp"

using namespace relay;
namespace hc = relay::codec::halls;
namespace json = boost::json;

namespace {

template <class T>
error_info error_of(const std::variant<T, error_info>& v) {
  auto* e = std::get_if<error_info>(&v);
  return e ? *e : error_info{};
}

}  // namespace

TEST(halls_codec, create_hall_needs_a_name) {
  auto ok = hc::decode_create_hall(R"({"name":"Standup","max_participants":8})");
  ASSERT_TRUE(std::holds_alternative<storage::hall_row>(ok));
  EXPECT_EQ(std::get<storage::hall_row>(ok).name, "Standup");
  EXPECT_EQ(std::get<storage::hall_row>(ok).max_participants, 8);
  EXPECT_EQ(error_of(hc::decode_create_hall("{}")).code, errc::missing_field);
  EXPECT_EQ(error_of(hc::decode_create_hall(R"({"name":""})")).code, errc::missing_field);
  EXPECT_EQ(error_of(hc::decode_create_hall(R"({"name":" \t "})")).code, errc::missing_field);
  // 200 characters, not bytes: 200 two-byte letters pass, 201 do not.
  std::string e200;
  for (int i = 0; i < 200; ++i) e200 += "\xc3\xa9";
  EXPECT_TRUE(std::holds_alternative<storage::hall_row>(
      hc::decode_create_hall(R"({"name":")" + e200 + R"("})")));
  EXPECT_EQ(error_of(hc::decode_create_hall(R"({"name":")" + e200 + R"(e"})")).code,
            errc::bad_request);
  EXPECT_EQ(error_of(hc::decode_create_hall(R"({"name":5})")).code, errc::bad_request);
  EXPECT_EQ(error_of(hc::decode_create_hall(R"({"name":"a","max_participants":0})")).code,
            errc::bad_request);
  EXPECT_EQ(error_of(hc::decode_create_hall(R"({"name":"a","max_participants":"3"})")).code,
            errc::bad_request);
  EXPECT_EQ(error_of(hc::decode_create_hall("not json")).code, errc::bad_request);
}

TEST(halls_codec, join_needs_every_field_and_a_known_role) {
  auto ok = hc::decode_join(R"({"participant_id":"u1","display_name":"Ada","role":"publisher"})");
  ASSERT_TRUE(std::holds_alternative<storage::hall_grant_row>(ok));
  EXPECT_EQ(std::get<storage::hall_grant_row>(ok).role, storage::hall_role::publisher);
  EXPECT_EQ(error_of(hc::decode_join(R"({"display_name":"Ada","role":"publisher"})")).code,
            errc::missing_field);
  EXPECT_EQ(error_of(hc::decode_join(R"({"participant_id":"u1","role":"publisher"})")).code,
            errc::missing_field);
  EXPECT_EQ(error_of(hc::decode_join(R"({"participant_id":"u1","display_name":"Ada"})")).code,
            errc::missing_field);
  auto bad_role = hc::decode_join(R"({"participant_id":"u1","display_name":"Ada","role":"admin"})");
  EXPECT_EQ(error_of(bad_role).code, errc::invalid_role);
  EXPECT_EQ(
      error_of(hc::decode_join(R"({"participant_id":"u1","display_name":"Ada","role":""})")).code,
      errc::invalid_role);
  EXPECT_EQ(http_status(errc::invalid_role), 422);
  EXPECT_EQ(code_name(errc::invalid_role), "INVALID_ROLE");
  EXPECT_EQ(
      error_of(hc::decode_join(R"({"participant_id":7,"display_name":"Ada","role":"publisher"})"))
          .code,
      errc::bad_request);
}

TEST(halls_codec, webhook_reads_livekits_protobuf_json) {
  // int64 fields arrive as strings in protobuf JSON; int32 (numDropped) as numbers.
  auto v = hc::decode_webhook(
      R"({"event":"participant_left","id":"EV_abc","createdAt":"1777937400",
          "room":{"sid":"RM_1","name":"h_01"},
          "participant":{"sid":"PA_1","identity":"u1","name":"Ada","joinedAt":"1777937100"},
          "numDropped":2})",
      1777937500000);
  ASSERT_TRUE(std::holds_alternative<livekit_event>(v)) << error_of(v).message;
  auto& e = std::get<livekit_event>(v);
  EXPECT_EQ(e.event, "participant_left");
  EXPECT_EQ(e.id, "EV_abc");
  EXPECT_EQ(e.room, "h_01");
  EXPECT_EQ(e.identity, "u1");
  EXPECT_EQ(e.name, "Ada");
  EXPECT_EQ(e.created_at, 1777937400000);
  EXPECT_EQ(e.joined_at, 1777937100000);
  EXPECT_EQ(e.num_dropped, 2);
}

TEST(halls_codec, webhook_accepts_numbers_snake_case_and_livekit_permissions) {
  constexpr std::int64_t now = 1777937500000;
  auto v = hc::decode_webhook(
      R"({"event":"participant_joined","id":"EV_2","created_at":1777937400,
          "room":{"name":"h_01"},"participant":{"identity":"u1","joined_at_ms":"1777937399500",
          "permission":{"canSubscribe":true,"canPublish":true}},
          "num_dropped":0})",
      now);
  ASSERT_TRUE(std::holds_alternative<livekit_event>(v)) << error_of(v).message;
  EXPECT_EQ(std::get<livekit_event>(v).created_at, 1777937400000);
  EXPECT_EQ(std::get<livekit_event>(v).joined_at, 1777937399500);
  EXPECT_TRUE(std::get<livekit_event>(v).can_publish);
  // A join needs only its joinedAt; events that do not touch sessions need no time.
  auto join = hc::decode_webhook(
      R"({"event":"participant_joined","room":{"name":"h_01"},
          "participant":{"identity":"u1","joinedAt":"1777937400"}})",
      now);
  ASSERT_TRUE(std::holds_alternative<livekit_event>(join)) << error_of(join).message;
  EXPECT_FALSE(std::get<livekit_event>(join).can_publish) << "protobuf JSON leaves out false";
  EXPECT_TRUE(std::holds_alternative<livekit_event>(
      hc::decode_webhook(R"({"event":"track_published","room":{"name":"h_01"}})", now)));
}

TEST(halls_codec, webhook_refuses_events_without_a_time_or_with_one_out_of_range) {
  constexpr std::int64_t now = 1777937500000;  // 2026-05-04
  auto code = [](const std::string& body) { return error_of(hc::decode_webhook(body, now)).code; };
  // Durations come from LiveKit's times, never from the arrival.
  EXPECT_EQ(code(R"({"event":"room_finished","room":{"name":"h_01"}})"), errc::missing_field);
  EXPECT_EQ(code(R"({"event":"participant_left","createdAt":"0","room":{"name":"h_01"},
                     "participant":{"identity":"u1"}})"),
            errc::missing_field);
  EXPECT_EQ(code(R"({"event":"participant_joined","room":{"name":"h_01"},
                     "participant":{"identity":"u1"}})"),
            errc::missing_field);
  // Far outside any sane time: an overflow, milliseconds sent as seconds, before 2000.
  EXPECT_EQ(code(R"({"event":"room_finished","createdAt":"9223372036854775807"})"),
            errc::bad_request);
  EXPECT_EQ(code(R"({"event":"room_finished","createdAt":"1777937400000"})"), errc::bad_request);
  EXPECT_EQ(code(R"({"event":"room_finished","createdAt":"-5"})"), errc::bad_request);
  EXPECT_EQ(code(R"({"event":"room_finished","createdAt":"100"})"), errc::bad_request);
  EXPECT_EQ(code(R"({"event":"participant_left","createdAt":"1777937400",
                     "participant":{"identity":"u1","joinedAt":"9223372036854775807"}})"),
            errc::bad_request);
  EXPECT_EQ(code(R"({"event":"participant_left","createdAt":"1777937400",
                     "participant":{"identity":"u1","joinedAt":"1777937100000"}})"),
            errc::bad_request);
  // Up to a day ahead of the receipt is clock skew, not an error.
  EXPECT_EQ(code(R"({"event":"room_finished","createdAt":"1777941000"})"), errc{});
}

TEST(halls_codec, webhook_refuses_what_is_not_an_event) {
  EXPECT_EQ(error_of(hc::decode_webhook("{}", 0)).code, errc::missing_field);
  EXPECT_EQ(error_of(hc::decode_webhook("[]", 0)).code, errc::bad_request);
  EXPECT_EQ(error_of(hc::decode_webhook(R"({"event":"x","createdAt":"soon"})", 0)).code,
            errc::bad_request);
  EXPECT_EQ(error_of(hc::decode_webhook(R"({"event":"x","numDropped":true})", 0)).code,
            errc::bad_request);
}

TEST(halls_codec, usage_cost_is_an_exact_decimal) {
  auto u = billing::monthly_usage(billing::plan::starter, 11234, false);
  auto o = json::parse(hc::encode_usage("2026-05", billing::plan::starter, false, u)).as_object();
  EXPECT_EQ(o.at("period").as_string(), "2026-05");
  EXPECT_EQ(o.at("plan").as_string(), "starter");
  EXPECT_EQ(o.at("included_minutes").as_int64(), 10000);
  EXPECT_EQ(o.at("used_minutes").as_int64(), 11234);
  EXPECT_EQ(o.at("overage_minutes").as_int64(), 1234);
  EXPECT_DOUBLE_EQ(o.at("overage_cost_usd").to_number<double>(), 2.468);
  auto body = hc::encode_usage("2026-05", billing::plan::starter, false, u);
  EXPECT_NE(body.find("\"overage_cost_usd\":2.468}"), std::string::npos) << body;
  auto none = hc::encode_usage("2026-05", billing::plan::growth, true,
                               billing::monthly_usage(billing::plan::growth, 5, true));
  EXPECT_NE(none.find("\"overage_cost_usd\":0}"), std::string::npos) << none;
}

TEST(halls_codec, participants_list_complete_and_open_sessions) {
  std::vector<storage::hall_session_row> sessions = {
      {"hs_1", "h_1", "u1", "Ada", storage::hall_role::publisher, 0, 61000, 2},
      {"hs_2", "h_1", "u2", "Bob", storage::hall_role::subscriber, 0, std::nullopt, 0},
      {"hs_3", "h_1", "u3", "Cy", storage::hall_role::subscriber, std::nullopt, 5000,
       0},  // waits for its join
  };
  auto o = json::parse(hc::encode_participants("h_1", sessions, 30000)).as_object();
  auto& list = o.at("sessions").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].at("minutes").as_int64(), 2);
  EXPECT_EQ(list[0].at("left_at").as_string(), "1970-01-01T00:01:01.000Z");
  EXPECT_TRUE(list[1].at("left_at").is_null());
  EXPECT_EQ(list[1].at("minutes").as_int64(), 1) << "open: minutes so far";
  EXPECT_EQ(o.at("total_minutes").as_int64(), 3);
}
