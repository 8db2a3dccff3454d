import { describe, expect, it } from 'vitest'
import { ReorderBuffer } from '../src/output/reorder.js'

describe('reorder buffer', () => {
  it('holds later results until every earlier one is done, then releases them in order', () => {
    const buffer = new ReorderBuffer<string>()
    expect(buffer.push(2, 'c')).toEqual([])
    expect(buffer.push(1, 'b')).toEqual([])
    expect(buffer.size).toBe(2)
    expect(buffer.push(0, 'a')).toEqual(['a', 'b', 'c'])
    expect(buffer.size).toBe(0)
    expect(buffer.next).toBe(3)
    expect(buffer.push(3, 'd')).toEqual(['d'])
  })

  it('refuses a sequence number it has already seen', () => {
    const buffer = new ReorderBuffer<string>()
    buffer.push(0, 'a')
    expect(() => buffer.push(0, 'again')).toThrow(RangeError)
  })
})
