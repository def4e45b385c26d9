#pragma once
// Checks of JSON request bodies, shared by both APIs: every failure is an ApiError 400 whose
// message names the field.
#include "api/vm_control.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rvisor::api {

// The body as a JSON object.
nlohmann::json parse_json_object(const std::string& text);
// Refuses a field of `body` not in `allowed` (additionalProperties: false).
void check_known_fields(const nlohmann::json& body, std::span<const std::string_view> allowed);

// One field of a request body: always a string, either free (but not empty) or one of `values`.
struct Field {
    std::string_view name;
    bool required;
    std::vector<std::string_view> values;
};

// A body of exactly these string fields; returns the fields present, by name.
std::map<std::string, std::string, std::less<>> parse_string_fields(
    const std::string& text, std::span<const Field> fields);

} // namespace rvisor::api
