// TEST_RESULT: 260955312
// NOT_IN: text
// A weighted sum over a 128-entry table in .rodata, in a counted loop (what
// jit::Options::version_loops checks once, against the program's region the table is in). The
// expected value is from an independent Python model (the table is (i * 2654435761 >> 7) & 0xffff).
#include "ubpf_helpers.h"

static const uint16_t kWeights[128] = {
    0u, 28403u, 56806u, 19674u, 48077u, 10944u, 39348u, 2215u, 30619u, 59022u, 21889u, 50293u,
    13160u, 41563u, 4431u, 32834u, 61238u, 24105u, 52508u, 15376u, 43779u, 6647u, 35050u, 63453u,
    26321u, 54724u, 17591u, 45995u, 8862u, 37266u, 133u, 28536u, 56940u, 19807u, 48211u, 11078u,
    39481u, 2349u, 30752u, 59155u, 22023u, 50426u, 13294u, 41697u, 4564u, 32968u, 61371u, 24238u,
    52642u, 15509u, 43913u, 6780u, 35183u, 63587u, 26454u, 54858u, 17725u, 46128u, 8996u, 37399u,
    266u, 28670u, 57073u, 19941u, 48344u, 11211u, 39615u, 2482u, 30886u, 59289u, 22156u, 50560u,
    13427u, 41830u, 4698u, 33101u, 61505u, 24372u, 52775u, 15643u, 44046u, 6914u, 35317u, 63720u,
    26588u, 54991u, 17858u, 46262u, 9129u, 37533u, 400u, 28803u, 57207u, 20074u, 48477u, 11345u,
    39748u, 2616u, 31019u, 59422u, 22290u, 50693u, 13561u, 41964u, 4831u, 33235u, 61638u, 24505u,
    52909u, 15776u, 44180u, 7047u, 35450u, 63854u, 26721u, 55125u, 17992u, 46395u, 9263u, 37666u,
    533u, 28937u, 57340u, 20208u, 48611u, 11478u, 39882u, 2749u,
};

int main(void) {
    uint32_t sum = 0, weight = 1;
    for (const uint16_t* p = kWeights; p != kWeights + 128; ++p) sum += *p * weight++;
    return (int)sum;
}
