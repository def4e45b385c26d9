// The dispatcher's block table against a std::map doing the same: adds, translations, erases
// (whose backward shifts must keep every other entry findable), dropping cold entries, growth.
#include "jit/block_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <utility>

using rvisor::jit::BlockTable;

namespace {

const uint8_t* host_at(uintptr_t address) { return reinterpret_cast<const uint8_t*>(address); }

struct Expected {
    const uint8_t* code = nullptr;
    unsigned visits = 0;
};

void expect_same(BlockTable& table, const std::map<std::pair<uint64_t, uintptr_t>, Expected>& model)
{
    size_t cold = 0;
    for (const auto& [key, expected] : model) {
        const BlockTable::Entry* entry = table.find({ key.first, host_at(key.second) });
        ASSERT_NE(entry, nullptr) << std::hex << key.first;
        EXPECT_EQ(entry->code, expected.code);
        EXPECT_EQ(entry->visits, expected.visits);
        cold += expected.code == nullptr;
    }
    EXPECT_EQ(table.cold(), cold);
}

} // namespace

TEST(BlockTable, AgreesWithAMapThroughAddsTranslationsAndErases)
{
    BlockTable table;
    std::map<std::pair<uint64_t, uintptr_t>, Expected> model;
    std::mt19937_64 random { 7 };
    // Few distinct pcs, so that keys repeat and erases hit; enough of them to grow the table.
    const auto any_key = [&] {
        const uint64_t pc = 0xffffffff80000000 + (random() % 20000) * 2;
        return std::pair { pc, static_cast<uintptr_t>(0x7f0000000000 + (pc & 0xffffff)) };
    };
    for (int step = 0; step < 200000; ++step) {
        const auto key = any_key();
        const BlockTable::Key table_key { key.first, host_at(key.second) };
        switch (random() % 4) {
        case 0:
        case 1: {
            BlockTable::Entry& entry = table.find_or_add(table_key);
            ++entry.visits;
            ++model[key].visits;
            break;
        }
        case 2: {
            const auto* code = host_at(0x1000 + static_cast<uintptr_t>(step));
            table.set_code(table.find_or_add(table_key), code, nullptr);
            model[key].code = code;
            break;
        }
        case 3:
            table.erase(table_key);
            model.erase(key);
            break;
        }
    }
    expect_same(table, model);
    for (int i = 0; i < 1000; ++i) {
        const auto key = any_key();
        if (!model.contains(key)) {
            EXPECT_EQ(table.find({ key.first, host_at(key.second) }), nullptr);
        }
    }

    table.drop_cold();
    std::erase_if(model, [](const auto& item) { return item.second.code == nullptr; });
    expect_same(table, model);

    table.clear();
    EXPECT_EQ(table.cold(), 0u);
    for (const auto& [key, expected] : model)
        EXPECT_EQ(table.find({ key.first, host_at(key.second) }), nullptr);
}

TEST(BlockTable, SamePcAtAnotherHostAddressIsAnotherBlock)
{
    BlockTable table;
    table.set_code(table.find_or_add({ 0x1000, host_at(0x5000) }), host_at(0xa), nullptr);
    EXPECT_EQ(table.find({ 0x1000, host_at(0x6000) }), nullptr);
    BlockTable::Entry& other = table.find_or_add({ 0x1000, host_at(0x6000) });
    EXPECT_EQ(other.code, nullptr);
    EXPECT_EQ(table.cold(), 1u);
    EXPECT_EQ(table.find({ 0x1000, host_at(0x5000) })->code, host_at(0xa));
}
