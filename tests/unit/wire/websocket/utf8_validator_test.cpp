#include "wire/websocket/utf8_validator.hpp"

#include <cstdint>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace herald::wire::websocket {
namespace {

using namespace std::string_view_literals;

/// An independent decoder to compare with: decode, then check the code point's range and that
/// its encoding is the shortest one.
bool reference_is_valid(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto lead = static_cast<std::uint8_t>(s[i]);
        std::size_t extra = 0;
        std::uint32_t code_point = 0;
        if (lead < 0x80) {
            ++i;
            continue;
        }
        if ((lead & 0xE0) == 0xC0) {
            extra = 1, code_point = lead & 0x1F;
        } else if ((lead & 0xF0) == 0xE0) {
            extra = 2, code_point = lead & 0x0F;
        } else if ((lead & 0xF8) == 0xF0) {
            extra = 3, code_point = lead & 0x07;
        } else {
            return false;
        }
        if (i + extra >= s.size()) return false;
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto next = static_cast<std::uint8_t>(s[i + k]);
            if ((next & 0xC0) != 0x80) return false;
            code_point = (code_point << 6) | (next & 0x3F);
        }
        constexpr std::uint32_t kShortest[] = {0, 0x80, 0x800, 0x10000};
        if (code_point < kShortest[extra] || code_point > 0x10FFFF) return false;
        if (code_point >= 0xD800 && code_point <= 0xDFFF) return false;
        i += extra + 1;
    }
    return true;
}

std::string encode(std::uint32_t cp) {  // no checks: surrogates encode too
    std::string out;
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return out;
}

TEST(Utf8Validator, AcceptsAutobahnValidVectors) {
    for (const std::string_view valid : {
                 ""sv, "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!"sv,
                 "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"sv,  // κόσμε
                 "\x00"sv, "\x7f"sv,                                // 1-byte edges
                 "\xc2\x80"sv, "\xdf\xbf"sv,                        // 2-byte edges
                 "\xe0\xa0\x80"sv, "\xef\xbf\xbf"sv,                // 3-byte edges
                 "\xf0\x90\x80\x80"sv, "\xf4\x8f\xbf\xbf"sv,        // U+10000, U+10FFFF
                 "\xed\x9f\xbf"sv, "\xee\x80\x80"sv,                // around the surrogates
                 "\xef\xbf\xbd"sv, "\xef\xbf\xbe"sv,                // U+FFFD, U+FFFE (noncharacter)
         }) {
        EXPECT_TRUE(is_valid_utf8(valid)) << ::testing::PrintToString(valid);
    }
}

TEST(Utf8Validator, RejectsAutobahnInvalidVectors) {
    for (const std::string_view invalid : {
                 "\xed\xa0\x80"sv,
                 "\xed\xbf\xbf"sv,              // surrogates U+D800, U+DFFF
                 "\xed\xa0\x80\xed\xb0\x80"sv,  // a surrogate pair
                 "\xf4\x90\x80\x80"sv,
                 "\xf7\xbf\xbf\xbf"sv,  // above U+10FFFF
                 "\xc0\xaf"sv,
                 "\xe0\x80\xaf"sv,
                 "\xf0\x80\x80\xaf"sv,  // overlong '/'
                 "\xc1\xbf"sv,
                 "\xe0\x9f\xbf"sv,
                 "\xf0\x8f\xbf\xbf"sv,  // longest overlongs
                 "\xc0\x80"sv,          // overlong NUL
                 "\x80"sv,
                 "\xbf"sv,
                 "\x80\xbf\x80"sv,  // stray continuations
                 "\xce"sv,
                 "\xe1\xbd"sv,
                 "\xf0\x90\x80"sv,  // truncated
                 "\xc2\x41"sv,
                 "\xe1\x80\x41"sv,  // cut by ASCII
                 "\xf8\x88\x80\x80\x80"sv,
                 "\xfc\x84\x80\x80\x80\x80"sv,  // 5 and 6 bytes
                 "\xfe"sv,
                 "\xff"sv,
                 "\xfe\xfe\xff\xff"sv,
                 // Autobahn 6.3.1: valid text with a surrogate in the middle
                 "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64"sv,
         }) {
        EXPECT_FALSE(is_valid_utf8(invalid)) << ::testing::PrintToString(invalid);
    }
}

TEST(Utf8Validator, EveryCodePointAndEverySurrogate) {
    for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
        const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
        ASSERT_EQ(is_valid_utf8(encode(cp)), !surrogate) << std::hex << cp;
    }
}

TEST(Utf8Validator, MatchesReferenceOnAllShortSequences) {
    std::string s(2, '\0');
    for (int a = 0; a < 256; ++a) {
        for (int b = 0; b < 256; ++b) {
            s[0] = static_cast<char>(a), s[1] = static_cast<char>(b);
            ASSERT_EQ(is_valid_utf8(s), reference_is_valid(s)) << a << " " << b;
        }
    }
    s.resize(3);
    for (int a = 0xE0; a < 0x100; ++a) {
        for (int b = 0; b < 256; ++b) {
            for (int c = 0; c < 256; ++c) {
                s[0] = static_cast<char>(a), s[1] = static_cast<char>(b),
                s[2] = static_cast<char>(c);
                ASSERT_EQ(is_valid_utf8(s), reference_is_valid(s)) << a << " " << b << " " << c;
            }
        }
    }
    s.resize(4);
    for (int a = 0xF0; a < 0x100; ++a) {
        for (int b = 0; b < 256; ++b) {
            for (const int c : {0x00, 0x7f, 0x80, 0xbf, 0xc0}) {
                for (const int d : {0x41, 0x80, 0xbf, 0xc0}) {
                    s = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                         static_cast<char>(d)};
                    ASSERT_EQ(is_valid_utf8(s), reference_is_valid(s));
                }
            }
        }
    }
}

TEST(Utf8Validator, SequencesSplitAtEveryPointAcrossFeeds) {
    const std::string_view kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf0\x9f\x98\x80";
    for (std::size_t cut = 0; cut <= kosme.size(); ++cut) {
        Utf8Validator validator;
        EXPECT_TRUE(validator.feed(kosme.substr(0, cut)));
        EXPECT_TRUE(validator.feed(kosme.substr(cut)));
        EXPECT_TRUE(validator.complete()) << cut;
    }
    Utf8Validator byte_by_byte;
    for (const char c : kosme) {
        EXPECT_TRUE(byte_by_byte.feed(std::string_view(&c, 1)));
    }
    EXPECT_TRUE(byte_by_byte.complete());
}

TEST(Utf8Validator, OpenSequenceIsNotComplete) {
    Utf8Validator validator;
    EXPECT_TRUE(validator.feed("ok \xf0\x9f\x98"));
    EXPECT_FALSE(validator.complete());
    EXPECT_TRUE(validator.feed("\x80"));
    EXPECT_TRUE(validator.complete());
}

TEST(Utf8Validator, FailsAtTheBadByteAndStaysFailed) {
    Utf8Validator validator;
    EXPECT_FALSE(validator.feed("\xe0\x80"));  // fails on the 2nd byte, before the 3rd exists
    EXPECT_FALSE(validator.feed("a"));
    EXPECT_FALSE(validator.complete());
    validator.reset();
    EXPECT_TRUE(validator.feed("a"));
    EXPECT_TRUE(validator.complete());
}

TEST(Utf8Validator, BadByteAnywhereInLongAsciiRuns) {
    // The ASCII fast path reads 8 bytes at a time: put the bad byte at every offset around it.
    for (std::size_t length = 1; length < 40; ++length) {
        for (std::size_t at = 0; at < length; ++at) {
            std::string text(length, 'a');
            text[at] = '\x80';
            ASSERT_FALSE(is_valid_utf8(text)) << length << " " << at;
            text[at] = '\xc3';
            text.insert(at + 1, 1, '\xa9');  // é: valid again
            ASSERT_TRUE(is_valid_utf8(text)) << length << " " << at;
        }
    }
}

}  // namespace
}  // namespace herald::wire::websocket
