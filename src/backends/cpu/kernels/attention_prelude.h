// What the attention kernel body needs, included once outside the per-ISA namespaces.
#pragma once

#include <cmath>
#include <cstdint>

#include "backends/cpu/attention.h"
