using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace LoraSdk.Build.FineTune
{
    /// <summary>
    /// A small JSON reader for the task assembly: progress lines and appsettings.json. A task must not
    /// depend on the JSON library of whichever MSBuild loads it (netstandard2.0, full-framework MSBuild
    /// included). Objects become case-insensitive dictionaries, like Microsoft.Extensions.Configuration
    /// keys; numbers become doubles. Comments (allowed in appsettings.json) are skipped.
    /// </summary>
    internal sealed class JsonReader
    {
        private readonly string _text;
        private int _pos;

        private JsonReader(string text) => _text = text;

        /// <summary>Parses one JSON value; throws <see cref="JsonFormatException"/> on bad input.</summary>
        public static object? Parse(string text)
        {
            var reader = new JsonReader(text);
            object? value = reader.ReadValue();
            reader.SkipWhitespace();
            if (reader._pos != text.Length) throw reader.Error("unexpected text after the value");
            return value;
        }

        private object? ReadValue()
        {
            SkipWhitespace();
            if (_pos >= _text.Length) throw Error("unexpected end");
            char c = _text[_pos];
            switch (c)
            {
                case '{': return ReadObject();
                case '[': return ReadArray();
                case '"': return ReadString();
                case 't': return ReadLiteral("true", true);
                case 'f': return ReadLiteral("false", false);
                case 'n': return ReadLiteral("null", null);
                default:
                    if (c == '-' || char.IsDigit(c)) return ReadNumber();
                    throw Error($"unexpected character '{c}'");
            }
        }

        private Dictionary<string, object?> ReadObject()
        {
            var result = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            _pos++;
            SkipWhitespace();
            if (TryConsume('}')) return result;
            while (true)
            {
                SkipWhitespace();
                if (_pos >= _text.Length || _text[_pos] != '"') throw Error("expected a property name");
                string key = ReadString();
                SkipWhitespace();
                if (!TryConsume(':')) throw Error("expected ':'");
                result[key] = ReadValue();
                SkipWhitespace();
                if (TryConsume('}')) return result;
                if (!TryConsume(',')) throw Error("expected ',' or '}'");
                SkipWhitespace();
                if (TryConsume('}')) return result; // trailing comma, as appsettings.json allows
            }
        }

        private List<object?> ReadArray()
        {
            var result = new List<object?>();
            _pos++;
            SkipWhitespace();
            if (TryConsume(']')) return result;
            while (true)
            {
                result.Add(ReadValue());
                SkipWhitespace();
                if (TryConsume(']')) return result;
                if (!TryConsume(',')) throw Error("expected ',' or ']'");
                SkipWhitespace();
                if (TryConsume(']')) return result;
            }
        }

        private string ReadString()
        {
            var sb = new StringBuilder();
            _pos++;
            while (_pos < _text.Length)
            {
                char c = _text[_pos++];
                if (c == '"') return sb.ToString();
                if (c != '\\') { sb.Append(c); continue; }
                if (_pos >= _text.Length) break;
                char e = _text[_pos++];
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'u':
                        if (_pos + 4 > _text.Length) throw Error("truncated \\u escape");
                        sb.Append((char)int.Parse(_text.Substring(_pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        _pos += 4;
                        break;
                    default: sb.Append(e); break; // \" \\ \/
                }
            }
            throw Error("unterminated string");
        }

        private double ReadNumber()
        {
            int start = _pos;
            while (_pos < _text.Length && "+-0123456789.eE".IndexOf(_text[_pos]) >= 0) _pos++;
            string token = _text.Substring(start, _pos - start);
            if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                throw Error($"invalid number '{token}'");
            return value;
        }

        private object? ReadLiteral(string literal, object? value)
        {
            if (string.CompareOrdinal(_text, _pos, literal, 0, literal.Length) != 0) throw Error("invalid literal");
            _pos += literal.Length;
            return value;
        }

        private bool TryConsume(char c)
        {
            if (_pos < _text.Length && _text[_pos] == c) { _pos++; return true; }
            return false;
        }

        private void SkipWhitespace()
        {
            while (_pos < _text.Length)
            {
                char c = _text[_pos];
                if (char.IsWhiteSpace(c)) _pos++;
                else if (c == '/' && _pos + 1 < _text.Length && _text[_pos + 1] == '/')
                {
                    while (_pos < _text.Length && _text[_pos] != '\n') _pos++;
                }
                else if (c == '/' && _pos + 1 < _text.Length && _text[_pos + 1] == '*')
                {
                    int end = _text.IndexOf("*/", _pos + 2, StringComparison.Ordinal);
                    _pos = end < 0 ? _text.Length : end + 2;
                }
                else return;
            }
        }

        private JsonFormatException Error(string what) => new JsonFormatException(_text, _pos, what);
    }

    /// <summary>Bad JSON, with the line and column (1-based) where reading stopped.</summary>
    internal sealed class JsonFormatException : FormatException
    {
        public JsonFormatException(string text, int offset, string what)
            : base($"invalid JSON ({what})")
        {
            Line = 1;
            int lineStart = 0;
            for (int i = 0; i < offset && i < text.Length; i++)
            {
                if (text[i] != '\n') continue;
                Line++;
                lineStart = i + 1;
            }
            Column = offset - lineStart + 1;
        }

        public int Line { get; }

        public int Column { get; }
    }
}
