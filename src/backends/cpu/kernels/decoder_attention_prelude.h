// What the decoder attention kernel body needs, included once outside the per-ISA namespaces.
#pragma once

#include <cmath>
#include <cstdint>

#include "backends/cpu/kernels/decoder_attention_kernel.h"
