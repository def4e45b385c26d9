#pragma once
// The seam between a hart's state and what executes its instructions: the interpreter
// (Hart::run, the reference) or the binary translator (jit::Translator).
#include "cpu/hart.h"

#include <cstdint>
#include <string>

namespace rvisor::cpu {

enum class EngineKind { Interpreter, Jit };

class ExecutionEngine {
public:
    virtual ~ExecutionEngine() = default;
    // Executes about `budget` instructions (translated code may run a little past it) and says
    // why it stopped, as Hart::run does.
    virtual HartExit run(uint64_t budget) = 0;
    // What the engine did, in one line for --verbose; empty when there is nothing to say.
    virtual std::string summary() const { return {}; }
    // The guest has gone idle: drop what can be rebuilt when it is needed again and give its
    // memory back to the host. True when something was given back. Only on the hart's thread.
    virtual bool release_idle_memory() { return false; }
};

class InterpreterEngine final : public ExecutionEngine {
public:
    explicit InterpreterEngine(Hart& hart)
        : m_hart(hart)
    {
    }
    HartExit run(uint64_t budget) override { return m_hart.run(budget); }

private:
    Hart& m_hart;
};

} // namespace rvisor::cpu
