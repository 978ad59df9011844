/**
 * Request validation: class-validator DTOs with unknown fields refused, and every failure turned
 * into one 400 whose `field` names the first offending path (`input.items[0].qty`).
 */
import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { SAGA_ERROR_CODES } from '@nest-saga/contracts';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { ApiException } from './api.exception.js';

export interface FieldProblem {
  field: string;
  message: string;
}

function join(parent: string, property: string): string {
  if (/^\d+$/.test(property)) return `${parent}[${property}]`;
  return parent ? `${parent}.${property}` : property;
}

function describe(field: string, constraint: string, message: string): string {
  if (constraint === 'whitelistValidation') return `Unknown field "${field}": remove it.`;
  // class-validator starts messages with the property name only; say the full path instead.
  const leaf = field.replace(/^.*[.[]/, '').replace(/]$/, '');
  return message.startsWith(`${leaf} `) ? `${field} ${message.slice(leaf.length + 1)}` : `${field}: ${message}`;
}

/** Constraints that say what is most basically wrong with a value; reported before any other. */
const FIRST = ['whitelistValidation', 'isDefined', 'isString', 'isInt', 'isNumber', 'isBoolean', 'isArray', 'isObject', 'isNotEmpty'];

/**
 * Flattens class-validator's tree into one problem per field (the most basic failed constraint:
 * "must be a string" rather than "must be shorter than 200" for a number), in document order.
 */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const error of errors) {
    const field = join(parent, error.property);
    const constraints = Object.entries(error.constraints ?? {});
    if (constraints.length > 0) {
      const [constraint, message] = FIRST.map((k) => constraints.find(([c]) => c === k)).find(Boolean) ?? constraints[constraints.length - 1];
      problems.push({ field, message: describe(field, constraint, message) });
    } else if (error.children?.length) {
      problems.push(...flattenValidationErrors(error.children, field));
    }
  }
  return problems;
}

/** The 400 for a list of problems: the first one's field, every message (up to a few). */
export function validationException(problems: FieldProblem[], code: string = SAGA_ERROR_CODES.VALIDATION_FAILED): ApiException {
  if (problems.length === 0) return new ApiException(400, code, 'The request is not valid.');
  const shown = problems.slice(0, 5).map((p) => p.message);
  if (problems.length > 5) shown.push(`and ${problems.length - 5} more`);
  return new ApiException(400, code, shown.join('; '), problems[0].field);
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationException(flattenValidationErrors(errors)),
  });
}

/**
 * Validates a plain value (a saga's input) against a DTO class with the same rules as request bodies;
 * problems are reported under `prefix` (`input.items[0].qty`).
 */
export async function validatePlain<T extends object>(dto: new () => T, value: unknown, prefix: string): Promise<FieldProblem[]> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [{ field: prefix, message: `${prefix} must be an object.` }];
  }
  const instance = plainToInstance(dto, value);
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true, validationError: { target: false, value: false } });
  return flattenValidationErrors(errors, prefix);
}
