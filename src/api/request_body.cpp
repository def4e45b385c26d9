#include "api/request_body.h"

#include <algorithm>

namespace rvisor::api {

namespace {

using nlohmann::json;

std::string quoted_list(std::span<const std::string_view> names)
{
    std::string list;
    for (auto name : names) {
        if (!list.empty())
            list += ", ";
        list += '"';
        list += name;
        list += '"';
    }
    return list;
}

} // namespace

json parse_json_object(const std::string& text)
{
    json body;
    try {
        body = json::parse(text);
    } catch (const json::parse_error& error) {
        throw ApiError(400,
            "The request body is not valid JSON (error at byte " + std::to_string(error.byte)
                + ").");
    } catch (const json::exception& error) {
        // Valid syntax nlohmann cannot hold, such as a number out of range (1e999).
        throw ApiError(400, std::string("The request body cannot be read: ") + error.what());
    }
    if (!body.is_object())
        throw ApiError(400, "The request body must be a JSON object.");
    return body;
}

void check_known_fields(const json& body, std::span<const std::string_view> allowed)
{
    for (const auto& [key, value] : body.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
            throw ApiError(400,
                "Unknown field \"" + key + "\"; this request takes only " + quoted_list(allowed)
                    + ".");
    }
}

std::map<std::string, std::string, std::less<>> parse_string_fields(
    const std::string& text, std::span<const Field> fields)
{
    const json body = parse_json_object(text);
    std::vector<std::string_view> names;
    for (const auto& field : fields)
        names.push_back(field.name);
    check_known_fields(body, names);

    std::map<std::string, std::string, std::less<>> present;
    for (const auto& field : fields) {
        std::string name(field.name);
        auto it = body.find(name);
        if (it == body.end()) {
            if (field.required)
                throw ApiError(400, "The field \"" + name + "\" is required.");
            continue;
        }
        if (!it->is_string())
            throw ApiError(400, "The field \"" + name + "\" must be a string.");
        auto value = it->get<std::string>();
        if (field.values.empty() && value.empty())
            throw ApiError(400, "The field \"" + name + "\" must not be empty.");
        if (!field.values.empty()
            && std::find(field.values.begin(), field.values.end(), value) == field.values.end())
            throw ApiError(400,
                "The field \"" + name + "\" must be one of " + quoted_list(field.values) + ".");
        present.emplace(std::move(name), std::move(value));
    }
    return present;
}

} // namespace rvisor::api
