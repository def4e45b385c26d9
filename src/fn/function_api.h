#pragma once
// The function platform's paths on the control program's API (docs/serverless.md,
// docs/api/openapi.yaml).
#include "api/http_server.h"
#include "fn/function_platform.h"

#include <vector>

namespace rvisor::fn {

std::vector<api::Route> function_api_routes(FunctionPlatform& platform);

} // namespace rvisor::fn
