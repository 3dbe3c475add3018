/*
 * x64.c - the x86-64 assembler of the machine-code emitter (src/compile/x64.c)
 * writes what GNU as writes: each row is an instruction in Intel syntax, the
 * call that assembles it, and the bytes `as` gave for that text.
 */
#include "test.h"

#include "compile/x64.h"

#include <string.h>

#define CASES(X) \
    X("mov rax, rbx", x64_mov_rr(a, true, X64_RAX, X64_RBX), "4889d8") \
    X("mov r9d, ecx", x64_mov_rr(a, false, X64_R9, X64_RCX), "4189c9") \
    X("mov rax, [rbx+0x10]", x64_mov_rm(a, true, X64_RAX, x64_mem(X64_RBX, 0x10)), "488b4310") \
    X("mov eax, [r12+rax*1]", x64_mov_rm(a, false, X64_RAX, x64_mem_idx(X64_R12, X64_RAX, 1, 0)), "418b0404") \
    X("mov [rbp+0], rdx", x64_mov_mr(a, true, x64_mem(X64_RBP, 0), X64_RDX), "48895500") \
    X("mov [r13+0x1000], r8", x64_mov_mr(a, true, x64_mem(X64_R13, 0x1000), X64_R8), "4d898500100000") \
    X("mov [rsp+8], eax", x64_mov_mr(a, false, x64_mem(X64_RSP, 8), X64_RAX), "89442408") \
    X("mov r12, [r12]", x64_mov_rm(a, true, X64_R12, x64_mem(X64_R12, 0)), "4d8b2424") \
    X("mov rdx, [r15+r14*8-8]", x64_mov_rm(a, true, X64_RDX, x64_mem_idx(X64_R15, X64_R14, 8, -8)), "4b8b54f7f8") \
    X("mov eax, 5", x64_mov_ri(a, X64_RAX, 5), "b805000000") \
    X("mov r10d, 0xffffffff", x64_mov_ri(a, X64_R10, 0xffffffffu), "41baffffffff") \
    X("mov r10, -1", x64_mov_ri(a, X64_R10, UINT64_MAX), "49c7c2ffffffff") \
    X("movabs rcx, 0x123456789", x64_mov_ri(a, X64_RCX, 0x123456789ull), "48b98967452301000000") \
    X("movzx eax, byte ptr [r12+rax]", x64_load_ext(a, false, false, 1, X64_RAX, x64_mem_idx(X64_R12, X64_RAX, 1, 0)), "410fb60404") \
    X("movsx rax, word ptr [rbx+8]", x64_load_ext(a, true, true, 2, X64_RAX, x64_mem(X64_RBX, 8)), "480fbf4308") \
    X("movsx ecx, byte ptr [rbx+8]", x64_load_ext(a, false, true, 1, X64_RCX, x64_mem(X64_RBX, 8)), "0fbe4b08") \
    X("movsxd rax, dword ptr [rbx+8]", x64_load_ext(a, true, true, 4, X64_RAX, x64_mem(X64_RBX, 8)), "48634308") \
    X("mov ecx, dword ptr [rbx+8]", x64_load_ext(a, true, false, 4, X64_RCX, x64_mem(X64_RBX, 8)), "8b4b08") \
    X("movzx r9d, word ptr [rbx+0x200]", x64_load_ext(a, false, false, 2, X64_R9, x64_mem(X64_RBX, 0x200)), "440fb78b00020000") \
    X("mov byte ptr [r12+rax], sil", x64_store(a, 1, x64_mem_idx(X64_R12, X64_RAX, 1, 0), X64_RSI), "41883404") \
    X("mov byte ptr [rbx], al", x64_store(a, 1, x64_mem(X64_RBX, 0), X64_RAX), "8803") \
    X("mov word ptr [rbx+4], dx", x64_store(a, 2, x64_mem(X64_RBX, 4), X64_RDX), "66895304") \
    X("mov dword ptr [rbx], ecx", x64_store(a, 4, x64_mem(X64_RBX, 0), X64_RCX), "890b") \
    X("mov qword ptr [rbx-8], r15", x64_store(a, 8, x64_mem(X64_RBX, -8), X64_R15), "4c897bf8") \
    X("lea rcx, [rax+rdx]", x64_lea(a, true, X64_RCX, x64_mem_idx(X64_RAX, X64_RDX, 1, 0)), "488d0c10") \
    X("add eax, [rbx+0x20]", x64_alu_rm(a, X64_ADD, false, X64_RAX, x64_mem(X64_RBX, 0x20)), "034320") \
    X("sub r11, r12", x64_alu_rr(a, X64_SUB, true, X64_R11, X64_R12), "4d29e3") \
    X("xor ecx, ecx", x64_alu_rr(a, X64_XOR, false, X64_RCX, X64_RCX), "31c9") \
    X("cmp rax, 100", x64_alu_ri(a, X64_CMP, true, X64_RAX, 100), "4883f864") \
    X("and eax, 0x12345", x64_alu_ri(a, X64_AND, false, X64_RAX, 0x12345), "2545230100") \
    X("cmp r13, -200", x64_alu_ri(a, X64_CMP, true, X64_R13, -200), "4981fd38ffffff") \
    X("or r8d, [r14+rcx*4+0x40]", x64_alu_rm(a, X64_OR, false, X64_R8, x64_mem_idx(X64_R14, X64_RCX, 4, 0x40)), "450b448e40") \
    X("test rcx, rcx", x64_test_rr(a, true, X64_RCX, X64_RCX), "4885c9") \
    X("test r9d, eax", x64_test_rr(a, false, X64_R9, X64_RAX), "4185c1") \
    X("imul eax, ecx", x64_imul_rr(a, false, X64_RAX, X64_RCX), "0fafc1") \
    X("imul rax, [rbx+16]", x64_imul_rm(a, true, X64_RAX, x64_mem(X64_RBX, 16)), "480faf4310") \
    X("shl eax, cl", x64_shift_cl(a, X64_SHL, false, X64_RAX), "d3e0") \
    X("sar r9, cl", x64_shift_cl(a, X64_SAR, true, X64_R9), "49d3f9") \
    X("rol rax, cl", x64_shift_cl(a, X64_ROL, true, X64_RAX), "48d3c0") \
    X("setl al; movzx eax, al", x64_setcc(a, X64_CC_L, X64_RAX), "0f9cc00fb6c0") \
    X("sete sil; movzx esi, sil", x64_setcc(a, X64_CC_E, X64_RSI), "400f94c6400fb6f6") \
    X("setb r10b; movzx r10d, r10b", x64_setcc(a, X64_CC_B, X64_R10), "410f92c2450fb6d2") \
    X("cmove rax, rcx", x64_cmov_rr(a, X64_CC_E, true, X64_RAX, X64_RCX), "480f44c1") \
    X("push r12", x64_push(a, X64_R12), "4154") \
    X("pop rbx", x64_pop(a, X64_RBX), "5b") \
    X("ret", x64_ret(a), "c3") \
    X("call rax", x64_call_r(a, X64_RAX), "ffd0") \
    X("call r11", x64_call_r(a, X64_R11), "41ffd3") \
    X("call .+5", x64_call_rel(a), "e800000000") \
    X("mov qword ptr [r14+0x28], 1", x64_mov_mi(a, true, x64_mem(X64_R14, 0x28), 1), "49c7462801000000") \
    X("mov dword ptr [rbx+8], -1", x64_mov_mi(a, false, x64_mem(X64_RBX, 8), -1), "c74308ffffffff") \
    X("rep stosq", x64_rep_stosq(a), "f348ab") \
    X("lea rax, [rip+0]", x64_lea_rip(a, X64_RAX), "488d0500000000") \
    X("lea r9, [rip+0]", x64_lea_rip(a, X64_R9), "4c8d0d00000000") \
    X("jmp rax", x64_jmp_r(a, X64_RAX), "ffe0") \
    X("jmp r10", x64_jmp_r(a, X64_R10), "41ffe2") \
    X("movsxd rdx, dword ptr [rax+rcx*4]", x64_movsxd_rm(a, X64_RDX, x64_mem_idx(X64_RAX, X64_RCX, 4, 0)), "48631488") \
    X("rep movsq", x64_rep_movsq(a), "f348a5") \
    X("shr rcx, 4", x64_shift_ri(a, X64_SHR, true, X64_RCX, 4), "48c1e904") \
    X("sar r10d, 31", x64_shift_ri(a, X64_SAR, false, X64_R10, 31), "41c1fa1f") \
    X("cmp dword ptr [rcx], 0", x64_alu_mi(a, X64_CMP, false, x64_mem(X64_RCX, 0), 0), "833900") \
    X("sub qword ptr [r14+0x18], 0x1000", x64_alu_mi(a, X64_SUB, true, x64_mem(X64_R14, 0x18), 0x1000), "49816e1800100000") \
    /* SSE and the integer forms of the numeric ops */ \
    X("cdq", x64_cdq(a, false), "99") \
    X("cqo", x64_cdq(a, true), "4899") \
    X("idiv ecx", x64_div_r(a, true, false, X64_RCX), "f7f9") \
    X("div rcx", x64_div_r(a, false, true, X64_RCX), "48f7f1") \
    X("idiv r9", x64_div_r(a, true, true, X64_R9), "49f7f9") \
    X("neg eax", x64_neg_r(a, false, X64_RAX), "f7d8") \
    X("neg r10", x64_neg_r(a, true, X64_R10), "49f7da") \
    X("movsx eax, al", x64_movsx_rr(a, false, 1, X64_RAX, X64_RAX), "0fbec0") \
    X("movsx ecx, sil", x64_movsx_rr(a, false, 1, X64_RCX, X64_RSI), "400fbece") \
    X("movsx rax, cx", x64_movsx_rr(a, true, 2, X64_RAX, X64_RCX), "480fbfc1") \
    X("movsxd rax, eax", x64_movsx_rr(a, true, 4, X64_RAX, X64_RAX), "4863c0") \
    X("movsxd r8, r9d", x64_movsx_rr(a, true, 4, X64_R8, X64_R9), "4d63c1") \
    X("bsr eax, eax", x64_bits_rr(a, X64_BSR, false, X64_RAX, X64_RAX), "0fbdc0") \
    X("bsf rax, rcx", x64_bits_rr(a, X64_BSF, true, X64_RAX, X64_RCX), "480fbcc1") \
    X("lzcnt rax, rax", x64_bits_rr(a, X64_LZCNT, true, X64_RAX, X64_RAX), "f3480fbdc0") \
    X("tzcnt eax, r9d", x64_bits_rr(a, X64_TZCNT, false, X64_RAX, X64_R9), "f3410fbcc1") \
    X("popcnt r11, rdx", x64_bits_rr(a, X64_POPCNT, true, X64_R11, X64_RDX), "f34c0fb8da") \
    X("btr rax, 63", x64_bt_ri(a, X64_BTR, true, X64_RAX, 63), "480fbaf03f") \
    X("bts rax, 63", x64_bt_ri(a, X64_BTS, true, X64_RAX, 63), "480fbae83f") \
    X("btc eax, 31", x64_bt_ri(a, X64_BTC, false, X64_RAX, 31), "0fbaf81f") \
    X("bt r12d, 3", x64_bt_ri(a, X64_BT, false, X64_R12, 3), "410fbae403") \
    X("addss xmm0, dword ptr [rbx+0x10]", x64_sse_rm(a, X64_ADDS, false, 0, x64_mem(X64_RBX, 0x10)), "f30f584310") \
    X("subsd xmm1, xmm2", x64_sse_rr(a, X64_SUBS, true, 1, 2), "f20f5cca") \
    X("sqrtsd xmm0, xmm0", x64_sse_rr(a, X64_SQRTS, true, 0, 0), "f20f51c0") \
    X("maxss xmm0, xmm1", x64_sse_rr(a, X64_MAXS, false, 0, 1), "f30f5fc1") \
    X("minsd xmm11, xmm1", x64_sse_rr(a, X64_MINS, true, 11, 1), "f2440f5dd9") \
    X("divss xmm2, xmm12", x64_sse_rr(a, X64_DIVS, false, 2, 12), "f3410f5ed4") \
    X("mulsd xmm8, qword ptr [r12+rax]", x64_sse_rm(a, X64_MULS, true, 8, x64_mem_idx(X64_R12, X64_RAX, 1, 0)), "f2450f590404") \
    X("cvtss2sd xmm0, dword ptr [rbx+8]", x64_sse_rm(a, X64_CVTS, false, 0, x64_mem(X64_RBX, 8)), "f30f5a4308") \
    X("cvtsd2ss xmm0, qword ptr [rbx+0x400]", x64_sse_rm(a, X64_CVTS, true, 0, x64_mem(X64_RBX, 0x400)), "f20f5a8300040000") \
    X("xorps xmm0, xmm0", x64_ps_rr(a, X64_XORPS, 0, 0), "0f57c0") \
    X("andps xmm0, xmm1", x64_ps_rr(a, X64_ANDPS, 0, 1), "0f54c1") \
    X("orps xmm9, xmm1", x64_ps_rr(a, X64_ORPS, 9, 1), "440f56c9") \
    X("andnps xmm1, xmm15", x64_ps_rr(a, X64_ANDNPS, 1, 15), "410f55cf") \
    X("movaps xmm0, xmm1", x64_movaps_rr(a, 0, 1), "0f28c1") \
    X("movss xmm0, dword ptr [rbx+8]", x64_movs_rm(a, false, 0, x64_mem(X64_RBX, 8)), "f30f104308") \
    X("movsd xmm1, qword ptr [rbx-8]", x64_movs_rm(a, true, 1, x64_mem(X64_RBX, -8)), "f20f104bf8") \
    X("movsd qword ptr [rbx+0x100], xmm0", x64_movs_mr(a, true, x64_mem(X64_RBX, 0x100), 0), "f20f118300010000") \
    X("movss dword ptr [rbx], xmm10", x64_movs_mr(a, false, x64_mem(X64_RBX, 0), 10), "f3440f1113") \
    X("movd xmm1, eax", x64_movd_xr(a, false, 1, X64_RAX), "660f6ec8") \
    X("movq xmm1, rax", x64_movd_xr(a, true, 1, X64_RAX), "66480f6ec8") \
    X("movd eax, xmm0", x64_movd_rx(a, false, X64_RAX, 0), "660f7ec0") \
    X("movq rcx, xmm9", x64_movd_rx(a, true, X64_RCX, 9), "664c0f7ec9") \
    X("ucomiss xmm0, xmm1", x64_ucomis_rr(a, false, 0, 1), "0f2ec1") \
    X("ucomisd xmm0, xmm0", x64_ucomis_rr(a, true, 0, 0), "660f2ec0") \
    X("ucomisd xmm8, xmm2", x64_ucomis_rr(a, true, 8, 2), "66440f2ec2") \
    X("cmpss xmm0, dword ptr [rbx+16], 1", x64_cmps_rm(a, false, 0, x64_mem(X64_RBX, 16), 1), "f30fc2431001") \
    X("cmpsd xmm0, qword ptr [rbx+0x80], 4", x64_cmps_rm(a, true, 0, x64_mem(X64_RBX, 0x80), 4), "f20fc2838000000004") \
    X("cvtsi2ss xmm0, eax", x64_cvtsi2s(a, false, false, 0, X64_RAX), "f30f2ac0") \
    X("cvtsi2sd xmm0, rax", x64_cvtsi2s(a, true, true, 0, X64_RAX), "f2480f2ac0") \
    X("cvtsi2ss xmm0, rcx", x64_cvtsi2s(a, false, true, 0, X64_RCX), "f3480f2ac1") \
    X("cvttss2si eax, xmm0", x64_cvtts2si(a, false, false, X64_RAX, 0), "f30f2cc0") \
    X("cvttsd2si rax, xmm1", x64_cvtts2si(a, true, true, X64_RAX, 1), "f2480f2cc1") \
    X("cvttsd2si r8, xmm9", x64_cvtts2si(a, true, true, X64_R8, 9), "f24d0f2cc1") \
    X("roundss xmm0, dword ptr [rbx+8], 2", x64_rounds_rm(a, false, 0, x64_mem(X64_RBX, 8), 2), "660f3a0a430802") \
    X("roundsd xmm0, qword ptr [rbx+0x200], 3", x64_rounds_rm(a, true, 0, x64_mem(X64_RBX, 0x200), 3), "660f3a0b830002000003") \
    X("roundsd xmm10, qword ptr [r13+0], 0", x64_rounds_rm(a, true, 10, x64_mem(X64_R13, 0), 0), "66450f3a0b550000") \
    X("cmpsd xmm0, xmm12, 1", x64_cmps_rr(a, true, 0, 12, 1), "f2410fc2c401") \
    X("cmpss xmm1, xmm0, 4", x64_cmps_rr(a, false, 1, 0, 4), "f30fc2c804") \
    X("roundsd xmm0, xmm11, 3", x64_rounds_rr(a, true, 0, 11, 3), "66410f3a0bc303") \
    X("roundss xmm0, xmm1, 2", x64_rounds_rr(a, false, 0, 1, 2), "660f3a0ac102") \
    X("movsd qword ptr [rbx+0x58], xmm10", x64_movs_mr(a, true, x64_mem(X64_RBX, 0x58), 10), "f2440f115358") \
    X("movss xmm15, dword ptr [rbx+8]", x64_movs_rm(a, false, 15, x64_mem(X64_RBX, 8)), "f3440f107b08") \
    X("movaps xmm0, xmm13", x64_movaps_rr(a, 0, 13), "410f28c5") \
    X("movq rax, xmm10", x64_movd_rx(a, true, X64_RAX, 10), "664c0f7ed0") \
    X("movd ecx, xmm11", x64_movd_rx(a, false, X64_RCX, 11), "66440f7ed9") \
    X("movq xmm12, rcx", x64_movd_xr(a, true, 12, X64_RCX), "664c0f6ee1") \
    X("movd xmm14, eax", x64_movd_xr(a, false, 14, X64_RAX), "66440f6ef0") \
    X("mov byte ptr [r12+rax], 0x9c", x64_store_i(a, 1, x64_mem_idx(X64_R12, X64_RAX, 1, 0), -100), "41c604049c") \
    X("mov word ptr [r12+rax], 0x1234", x64_store_i(a, 2, x64_mem_idx(X64_R12, X64_RAX, 1, 0), 0x1234), "6641c704043412") \
    X("mov dword ptr [r12+rcx+8], 7", x64_store_i(a, 4, x64_mem_idx(X64_R12, X64_RCX, 1, 8), 7), "41c7440c0807000000") \
    X("imul eax, eax, 0xcc9e2d51", x64_imul_ri(a, false, X64_RAX, X64_RAX, (int32_t)0xcc9e2d51), "69c0512d9ecc") \
    X("imul rax, rax, 100", x64_imul_ri(a, true, X64_RAX, X64_RAX, 100), "486bc064") \
    X("imul eax, esi, -3", x64_imul_ri(a, false, X64_RAX, X64_RSI, -3), "6bc6fd") \
    X("imul r8, r9, 0x12345", x64_imul_ri(a, true, X64_R8, X64_R9, 0x12345), "4d69c145230100") \
    X("mov qword ptr [r12+rax], -1", x64_store_i(a, 8, x64_mem_idx(X64_R12, X64_RAX, 1, 0), -1), "49c70404ffffffff") \
    /* packed (SIMD) */ \
    X("movdqu xmm0, xmmword ptr [rbx+0x10]", x64_movdqu_rm(a, 0, x64_mem(X64_RBX, 0x10)), "f30f6f4310") \
    X("movdqu xmm9, xmmword ptr [r12+rax*1]", x64_movdqu_rm(a, 9, x64_mem_idx(X64_R12, X64_RAX, 1, 0)), "f3450f6f0c04") \
    X("movdqu xmmword ptr [rbx+0x200], xmm1", x64_movdqu_mr(a, x64_mem(X64_RBX, 0x200), 1), "f30f7f8b00020000") \
    X("movdqu xmmword ptr [r12+rax*1], xmm0", x64_movdqu_mr(a, x64_mem_idx(X64_R12, X64_RAX, 1, 0), 0), "f3410f7f0404") \
    X("paddb xmm0, xmm1", x64_pd_rr(a, X64_PADDB, 0, 1), "660ffcc1") \
    X("psubq xmm10, xmm1", x64_pd_rr(a, X64_PSUBQ, 10, 1), "66440ffbd1") \
    X("pcmpgtw xmm1, xmm0", x64_pd_rr(a, X64_PCMPGTW, 1, 0), "660f65c8") \
    X("pandn xmm0, xmm15", x64_pd_rr(a, X64_PANDN, 0, 15), "66410fdfc7") \
    X("psraw xmm0, xmm1", x64_pd_rr(a, X64_PSRAW, 0, 1), "660fe1c1") \
    X("pmaddwd xmm0, xmm1", x64_pd_rr(a, X64_PMADDWD, 0, 1), "660ff5c1") \
    X("packuswb xmm2, xmm1", x64_pd_rr(a, X64_PACKUSWB, 2, 1), "660f67d1") \
    X("pmulld xmm0, xmm1", x64_pd_rr(a, X64_PMULLD, 0, 1), "660f3840c1") \
    X("pminud xmm11, xmm12", x64_pd_rr(a, X64_PMINUD, 11, 12), "66450f383bdc") \
    X("pabsb xmm0, xmm1", x64_pd_rr(a, X64_PABSB, 0, 1), "660f381cc1") \
    X("pcmpeqq xmm1, xmm0", x64_pd_rr(a, X64_PCMPEQQ, 1, 0), "660f3829c8") \
    X("packusdw xmm0, xmm9", x64_pd_rr(a, X64_PACKUSDW, 0, 9), "66410f382bc1") \
    X("subpd xmm0, xmm1", x64_pd_rr(a, 0x0f00 | X64_SUBS, 0, 1), "660f5cc1") \
    X("maxpd xmm0, xmm1", x64_pd_rr(a, 0x0f00 | X64_MAXS, 0, 1), "660f5fc1") \
    X("divps xmm0, xmm1", x64_ps_rr(a, X64_DIVS, 0, 1), "0f5ec1") \
    X("cmpltps xmm0, xmm1", x64_cmpp_rr(a, false, 0, 1, 1), "0fc2c101") \
    X("cmpneqpd xmm8, xmm1", x64_cmpp_rr(a, true, 8, 1, 4), "66440fc2c104") \
    X("pshufd xmm0, xmm0, 0x44", x64_pshufd(a, 0, 0, 0x44), "660f70c044") \
    X("pshufd xmm1, xmm10, 0", x64_pshufd(a, 1, 10, 0), "66410f70ca00") \
    X("pmovmskb eax, xmm0", x64_movmsk(a, 1, X64_RAX, 0), "660fd7c0") \
    X("pmovmskb r9d, xmm11", x64_movmsk(a, 1, X64_R9, 11), "66450fd7cb") \
    X("movmskps eax, xmm1", x64_movmsk(a, 4, X64_RAX, 1), "0f50c1") \
    X("movmskpd ecx, xmm0", x64_movmsk(a, 8, X64_RCX, 0), "660f50c8")

static void hex(char *out, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * n] = 0;
}

TEST(encodings_match_gnu_as)
{
    wb__x64 A = {0}, *a = &A;
    char got[64];
#define X(text, code, bytes)                                                                     \
    {                                                                                            \
        size_t s = a->n;                                                                         \
        code;                                                                                    \
        CHECK(a->n - s <= 16);                                                                   \
        hex(got, a->b + s, a->n - s < 16 ? a->n - s : 16);                                       \
        if (strcmp(got, bytes) != 0)                                                             \
            fprintf(stderr, "%s: got %s, as writes %s\n", text, got, bytes);                 \
        CHECK(strcmp(got, bytes) == 0);                                                          \
    }
    CASES(X)
#undef X
    CHECK(!a->bad);
    free(a->b);
}

TEST(jumps_are_patched_to_their_targets)
{
    wb__x64 A = {0}, *a = &A;
    uint32_t top = x64_pos(a);
    x64_ret(a);
    uint32_t j1 = x64_jcc(a, X64_CC_NE); /* backward, to top */
    uint32_t j2 = x64_jmp(a);            /* forward, past the ret below */
    x64_ret(a);
    uint32_t end = x64_pos(a);
    x64_patch(a, j1, top);
    x64_patch(a, j2, end);
    /* ret; jne -7 (0f 85 f9 ff ff ff); jmp +1 (e9 01 00 00 00); ret */
    static const uint8_t want[] = {0xc3, 0x0f, 0x85, 0xf9, 0xff, 0xff, 0xff, 0xe9, 0x01, 0x00, 0x00, 0x00, 0xc3};
    CHECK_EQ_INT(a->n, sizeof want);
    CHECK(a->n == sizeof want && memcmp(a->b, want, sizeof want) == 0);
    free(a->b);
}
