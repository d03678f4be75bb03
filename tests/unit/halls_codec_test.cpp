// JSON of halls: REST bodies, LiveKit's webhook events (protobuf JSON), answers.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "transport/codec/hall_codec.hpp"

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
  EXPECT_EQ(std::get<storage::hall_grant_row>(ok).role, "publisher");
  EXPECT_EQ(error_of(hc::decode_join(R"({"display_name":"Ada","role":"publisher"})")).code,
            errc::missing_field);
  EXPECT_EQ(error_of(hc::decode_join(R"({"participant_id":"u1","role":"publisher"})")).code,
            errc::missing_field);
  EXPECT_EQ(error_of(hc::decode_join(R"({"participant_id":"u1","display_name":"Ada"})")).code,
            errc::missing_field);
  auto bad_role = hc::decode_join(R"({"participant_id":"u1","display_name":"Ada","role":"admin"})");
  EXPECT_EQ(error_of(bad_role).code, errc::invalid_role);
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
      5);
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

TEST(halls_codec, webhook_accepts_numbers_snake_case_and_a_missing_time) {
  auto v = hc::decode_webhook(
      R"({"event":"participant_joined","id":"EV_2","created_at":1777937400,
          "room":{"name":"h_01"},"participant":{"identity":"u1","joined_at_ms":"1777937399500"},
          "num_dropped":0})",
      5);
  ASSERT_TRUE(std::holds_alternative<livekit_event>(v));
  EXPECT_EQ(std::get<livekit_event>(v).created_at, 1777937400000);
  EXPECT_EQ(std::get<livekit_event>(v).joined_at, 1777937399500);
  auto no_time = hc::decode_webhook(R"({"event":"room_finished","room":{"name":"h_01"}})", 1234);
  ASSERT_TRUE(std::holds_alternative<livekit_event>(no_time));
  EXPECT_EQ(std::get<livekit_event>(no_time).created_at, 1234) << "arrival time stands in";
  EXPECT_EQ(std::get<livekit_event>(no_time).joined_at, std::nullopt);
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
      {"hs_1", "h_1", "u1", "Ada", "publisher", 0, 61000, 2},
      {"hs_2", "h_1", "u2", "Bob", "subscriber", 0, std::nullopt, 0},
      {"hs_3", "h_1", "u3", "Cy", "subscriber", std::nullopt, 5000, 0},  // waits for its join
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
