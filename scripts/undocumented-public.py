#!/usr/bin/env python3
"""Lists the public declarations of Swift sources that have no doc comment directly above them.

Usage: scripts/undocumented-public.py [--all] [--summary] [PATH ...]   (default: Sources/ReplicaExport)

Public means: declared `public` or `open`; an enum case of a public enum; a requirement of a public
protocol; a member without an access modifier in a `public extension`. Members declared `public`
inside a non-public type (effectively internal) are listed with a note. A doc comment is `///` or
`/** */` on the line above; attributes (@inlinable, @discardableResult, ...) may stand between.
Declarations inside function bodies and cases written on their enum's own line (`{ case a, b }`,
covered by the enum's comment) are not counted. Prints `file:line: declaration` for each one
without a comment (every one with --all), then counts per folder on stderr; exits 1 when any
declaration lacks a comment.
"""
import os
import re
import sys

KEYWORDS = (r'(func|var|let|init|struct|enum|class|protocol|case|typealias|subscript|actor|extension'
            r'|associatedtype|deinit|macro|operator)')
MODIFIERS = (r'(public|open|private|fileprivate|internal|package|static|class|final|override|mutating'
             r'|nonmutating|nonisolated|convenience|required|lazy|weak|unowned|indirect|dynamic|optional'
             r'|prefix|postfix|infix|borrowing|consuming|distributed)(\([a-z]+\))?')
ATTRIBUTE = r'@[A-Za-z_]+(\([^()]*(\([^()]*\))*[^()]*\))?'
DECLARATION = re.compile(r'^\s*((' + ATTRIBUTE + r')\s+)*((' + MODIFIERS + r')\s+)*' + KEYWORDS + r'\b')
ACCESS = re.compile(r'\b(public|open|private|fileprivate|internal|package)\b(?!\()')
ATTRIBUTES_ONLY = re.compile(r'^\s*(' + ATTRIBUTE + r'\s*)+$')
TYPES = {'struct', 'enum', 'class', 'protocol', 'actor', 'extension'}


def code_only(text):
    """`text` with comments and the contents of string literals blanked (newlines kept), so that
    braces and keywords in them do not count; interpolations stay code."""
    out, i, n = [], 0, len(text)
    stack = []  # ('string', delimiter, hashes) or ('interpolation', open parentheses)
    while i < n:
        c = text[i]
        top = stack[-1] if stack else None
        if top and top[0] == 'string':
            delimiter, hashes = top[1], top[2]
            close = delimiter + '#' * hashes
            if text.startswith(close, i):
                stack.pop(); out.append(' ' * len(close)); i += len(close); continue
            if c == '\\' and text.startswith('#' * hashes + '(', i + 1):
                stack.append(('interpolation', 1)); out.append(' ' * (2 + hashes)); i += 2 + hashes; continue
            if c == '\\' and hashes == 0 and i + 1 < n:
                out.append(' \n' if text[i + 1] == '\n' else '  '); i += 2; continue
            out.append('\n' if c == '\n' else ' '); i += 1; continue
        if text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i)); i = j; continue
        if text.startswith('/*', i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith('/*', j): depth += 1; j += 2
                elif text.startswith('*/', j): depth -= 1; j += 2
                else: j += 1
            out.append(''.join('\n' if ch == '\n' else ' ' for ch in text[i:j])); i = j; continue
        m = re.match(r'(#*)("""|")', text[i:i + 8])
        if m and (c == '"' or (c == '#' and m.group(1))):
            stack.append(('string', m.group(2), len(m.group(1))))
            out.append(' ' * len(m.group(0))); i += len(m.group(0)); continue
        if top and top[0] == 'interpolation':
            if c == '(':
                stack[-1] = ('interpolation', top[1] + 1)
            elif c == ')':
                if top[1] == 1:
                    stack.pop(); out.append(' '); i += 1; continue
                stack[-1] = ('interpolation', top[1] - 1)
        out.append(c); i += 1
    return ''.join(out)


def has_doc(lines, index):
    j = index - 1
    while j >= 0 and ATTRIBUTES_ONLY.match(lines[j]):
        j -= 1
    if j < 0:
        return False
    above = lines[j].strip()
    return above.startswith('///') or (above.endswith('*/') and '/**' in '\n'.join(lines[max(0, j - 200):j + 1]))


def scan(path):
    """(line, documented, declaration text) for each public declaration of `path`."""
    raw = open(path, encoding='utf-8').read()
    lines, code = raw.split('\n'), code_only(raw).split('\n')
    found = []
    scopes = [('file', False)]  # (kind, public): 'enum', 'protocol', 'extension', 'type', or 'code'
    pending = None  # the declaration whose `{` has not been seen yet: (keyword, public)
    for number, line in enumerate(code):
        m = DECLARATION.match(line)
        if m and scopes[-1][0] != 'code':
            keyword = m.group(m.lastindex)
            access = ACCESS.search(m.group(0))
            kind, scope_public = scopes[-1]
            if access:
                public = access.group(1) in ('public', 'open')
            elif keyword == 'case':
                public = kind == 'enum' and scope_public
            elif kind in ('protocol', 'extension'):
                public = scope_public and keyword not in TYPES
            else:
                public = False
            if public and keyword != 'extension':
                text = lines[number].strip()
                if any(k in ('type', 'enum', 'protocol') and not p for k, p in scopes[1:]):
                    text += '   [public in a non-public type]'
                found.append((number + 1, has_doc(lines, number), text))
            pending = (keyword, public)
        elif m:
            pending = None
        for character in line:
            if character == '{':
                if pending and pending[0] in TYPES and scopes[-1][0] != 'code':
                    kind = pending[0] if pending[0] in ('enum', 'protocol', 'extension') else 'type'
                    scopes.append((kind, pending[1]))
                else:
                    scopes.append(('code', False))
                pending = None
            elif character == '}':
                if len(scopes) > 1:
                    scopes.pop()
                pending = None
    return found


def main():
    arguments = [a for a in sys.argv[1:] if not a.startswith('--')] or ['Sources/ReplicaExport']
    show_all = '--all' in sys.argv
    summary_only = '--summary' in sys.argv
    counts = {}
    for root in arguments:
        if root.endswith('.swift'):
            files = [root]
        else:
            files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith('.swift'))
        for path in files:
            for number, documented, text in scan(path):
                count = counts.setdefault(os.path.dirname(path), [0, 0])
                count[0] += 1
                count[1] += 0 if documented else 1
                if (show_all or not documented) and not summary_only:
                    print(f'{path}:{number}: {"documented: " if documented else ""}{text}')
    total = [sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values())]
    for folder in sorted(counts):
        print(f'{folder}: {counts[folder][1]} undocumented of {counts[folder][0]} public', file=sys.stderr)
    print(f'total: {total[1]} undocumented of {total[0]} public', file=sys.stderr)
    return 1 if total[1] else 0


if __name__ == '__main__':
    sys.exit(main())
