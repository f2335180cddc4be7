/** ELF64 constants used by jitdbg (System V gABI and the x86-64 psABI). */

/** e_ident: the magic, then the class, data encoding, version and OS ABI bytes. */
export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;
export const EI_CLASS = 4;
export const EI_DATA = 5;
export const EI_VERSION = 6;
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const EV_CURRENT = 1;
export const ELFOSABI_SYSV = 0;

export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const EM_X86_64 = 62;

export const PT_NULL = 0;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;
export const PT_PHDR = 6;
export const PT_TLS = 7;
export const PT_GNU_EH_FRAME = 0x6474e550;
export const PT_GNU_STACK = 0x6474e551;
export const PT_GNU_RELRO = 0x6474e552;

export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_HASH = 5;
export const SHT_DYNAMIC = 6;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_DYNSYM = 11;
export const SHT_INIT_ARRAY = 14;
export const SHT_FINI_ARRAY = 15;
export const SHT_PREINIT_ARRAY = 16;
export const SHT_GROUP = 17;
export const SHT_SYMTAB_SHNDX = 18;
export const SHT_X86_64_UNWIND = 0x70000001;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const SHF_MERGE = 0x10;
export const SHF_STRINGS = 0x20;
export const SHF_INFO_LINK = 0x40;
export const SHF_GROUP = 0x200;
export const SHF_TLS = 0x400;
export const SHF_COMPRESSED = 0x800;
export const SHF_X86_64_LARGE = 0x10000000;

export const GRP_COMDAT = 1;

/** Elf64_Chdr.ch_type of SHF_COMPRESSED sections. */
export const ELFCOMPRESS_ZLIB = 1;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;
export const STB_GNU_UNIQUE = 10;

export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;
export const STT_COMMON = 5;
export const STT_TLS = 6;
export const STT_GNU_IFUNC = 10;

/** x86-64 relocation types (psABI table 4.9 and the TLS supplement). */
export const R_X86_64_NONE = 0;
export const R_X86_64_64 = 1;
export const R_X86_64_PC32 = 2;
export const R_X86_64_GOT32 = 3;
export const R_X86_64_PLT32 = 4;
export const R_X86_64_COPY = 5;
export const R_X86_64_GLOB_DAT = 6;
export const R_X86_64_JUMP_SLOT = 7;
export const R_X86_64_RELATIVE = 8;
export const R_X86_64_GOTPCREL = 9;
export const R_X86_64_32 = 10;
export const R_X86_64_32S = 11;
export const R_X86_64_16 = 12;
export const R_X86_64_PC16 = 13;
export const R_X86_64_8 = 14;
export const R_X86_64_PC8 = 15;
export const R_X86_64_DTPMOD64 = 16;
export const R_X86_64_DTPOFF64 = 17;
export const R_X86_64_TPOFF64 = 18;
export const R_X86_64_TLSGD = 19;
export const R_X86_64_TLSLD = 20;
export const R_X86_64_DTPOFF32 = 21;
export const R_X86_64_GOTTPOFF = 22;
export const R_X86_64_TPOFF32 = 23;
export const R_X86_64_PC64 = 24;
export const R_X86_64_GOTOFF64 = 25;
export const R_X86_64_GOTPC32 = 26;
export const R_X86_64_GOT64 = 27;
export const R_X86_64_GOTPCREL64 = 28;
export const R_X86_64_GOTPC64 = 29;
export const R_X86_64_GOTPLT64 = 30;
export const R_X86_64_PLTOFF64 = 31;
export const R_X86_64_SIZE32 = 32;
export const R_X86_64_SIZE64 = 33;
export const R_X86_64_GOTPC32_TLSDESC = 34;
export const R_X86_64_TLSDESC_CALL = 35;
export const R_X86_64_TLSDESC = 36;
export const R_X86_64_IRELATIVE = 37;
export const R_X86_64_RELATIVE64 = 38;
export const R_X86_64_GOTPCRELX = 41;
export const R_X86_64_REX_GOTPCRELX = 42;

/** Their names, by type number. */
export const R_X86_64_NAMES: Readonly<Record<number, string>> = {
  [R_X86_64_NONE]: "R_X86_64_NONE",
  [R_X86_64_64]: "R_X86_64_64",
  [R_X86_64_PC32]: "R_X86_64_PC32",
  [R_X86_64_GOT32]: "R_X86_64_GOT32",
  [R_X86_64_PLT32]: "R_X86_64_PLT32",
  [R_X86_64_COPY]: "R_X86_64_COPY",
  [R_X86_64_GLOB_DAT]: "R_X86_64_GLOB_DAT",
  [R_X86_64_JUMP_SLOT]: "R_X86_64_JUMP_SLOT",
  [R_X86_64_RELATIVE]: "R_X86_64_RELATIVE",
  [R_X86_64_GOTPCREL]: "R_X86_64_GOTPCREL",
  [R_X86_64_32]: "R_X86_64_32",
  [R_X86_64_32S]: "R_X86_64_32S",
  [R_X86_64_16]: "R_X86_64_16",
  [R_X86_64_PC16]: "R_X86_64_PC16",
  [R_X86_64_8]: "R_X86_64_8",
  [R_X86_64_PC8]: "R_X86_64_PC8",
  [R_X86_64_DTPMOD64]: "R_X86_64_DTPMOD64",
  [R_X86_64_DTPOFF64]: "R_X86_64_DTPOFF64",
  [R_X86_64_TPOFF64]: "R_X86_64_TPOFF64",
  [R_X86_64_TLSGD]: "R_X86_64_TLSGD",
  [R_X86_64_TLSLD]: "R_X86_64_TLSLD",
  [R_X86_64_DTPOFF32]: "R_X86_64_DTPOFF32",
  [R_X86_64_GOTTPOFF]: "R_X86_64_GOTTPOFF",
  [R_X86_64_TPOFF32]: "R_X86_64_TPOFF32",
  [R_X86_64_PC64]: "R_X86_64_PC64",
  [R_X86_64_GOTOFF64]: "R_X86_64_GOTOFF64",
  [R_X86_64_GOTPC32]: "R_X86_64_GOTPC32",
  [R_X86_64_GOT64]: "R_X86_64_GOT64",
  [R_X86_64_GOTPCREL64]: "R_X86_64_GOTPCREL64",
  [R_X86_64_GOTPC64]: "R_X86_64_GOTPC64",
  [R_X86_64_GOTPLT64]: "R_X86_64_GOTPLT64",
  [R_X86_64_PLTOFF64]: "R_X86_64_PLTOFF64",
  [R_X86_64_SIZE32]: "R_X86_64_SIZE32",
  [R_X86_64_SIZE64]: "R_X86_64_SIZE64",
  [R_X86_64_GOTPC32_TLSDESC]: "R_X86_64_GOTPC32_TLSDESC",
  [R_X86_64_TLSDESC_CALL]: "R_X86_64_TLSDESC_CALL",
  [R_X86_64_TLSDESC]: "R_X86_64_TLSDESC",
  [R_X86_64_IRELATIVE]: "R_X86_64_IRELATIVE",
  [R_X86_64_RELATIVE64]: "R_X86_64_RELATIVE64",
  [R_X86_64_GOTPCRELX]: "R_X86_64_GOTPCRELX",
  [R_X86_64_REX_GOTPCRELX]: "R_X86_64_REX_GOTPCRELX",
};

export const AT_NULL = 0;
export const AT_PHDR = 3;
export const AT_PHENT = 4;
export const AT_PHNUM = 5;
export const AT_PAGESZ = 6;
export const AT_BASE = 7;
export const AT_FLAGS = 8;
export const AT_ENTRY = 9;
export const AT_UID = 11;
export const AT_EUID = 12;
export const AT_GID = 13;
export const AT_EGID = 14;
export const AT_PLATFORM = 15;
export const AT_HWCAP = 16;
export const AT_CLKTCK = 17;
export const AT_SECURE = 23;
export const AT_RANDOM = 25;
export const AT_HWCAP2 = 26;
export const AT_EXECFN = 31;
export const AT_MINSIGSTKSZ = 51;

export const DT_NULL = 0;
export const DT_NEEDED = 1;
export const DT_STRTAB = 5;
export const DT_STRSZ = 10;
export const DT_SONAME = 14;
export const DT_RPATH = 15;
export const DT_DEBUG = 21;
export const DT_RUNPATH = 29;

export const NT_GNU_BUILD_ID = 3;
